"""Build the configured image store: local disk unless `LIMNER_STORAGE_URL` names another."""

from __future__ import annotations

from limner.config import Settings
from limner.errors import ConfigurationError
from limner.storage.base import ImageStore
from limner.storage.local import LocalImageStore


def create_image_store(settings: Settings) -> ImageStore:
    url = settings.storage_url
    if not url:
        return LocalImageStore(settings.images_dir)
    if url.startswith("s3://"):
        from limner.storage.s3 import S3ImageStore, S3Location

        return S3ImageStore(
            S3Location.parse(url), endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        )
    if url.startswith("file://"):
        from pathlib import Path

        return LocalImageStore(Path(url.removeprefix("file://")))
    raise ConfigurationError(f"LIMNER_STORAGE_URL must start with s3:// or file://, got {url!r}")
