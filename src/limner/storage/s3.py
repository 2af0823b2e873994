"""Images in S3-compatible object storage (AWS S3, MinIO, R2...) under `s3://bucket/prefix`.

Objects are named `<prefix>/<token[:2]>/<token>.<ext>`, as on disk. boto3 is imported only here
(the `s3` extra). Credentials come from boto3's usual sources (`AWS_ACCESS_KEY_ID`, profiles,
instance roles); the endpoint and region from settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from limner.errors import ConfigurationError, LimnerError, NotFound
from limner.storage.base import (
    EXTENSIONS,
    StoredImage,
    StoredObjectInfo,
    parse_object_name,
    validate_token,
)


class StorageUnavailable(LimnerError):
    """The object store refused or could not be reached (not a missing image)."""

    default_message = "Image storage is unavailable."


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigurationError(
                f"LIMNER_STORAGE_URL must look like s3://bucket/prefix, got {url!r}"
            )
        return cls(bucket=parts.netloc, prefix=parts.path.strip("/"))


def _boto3() -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(
            "S3 storage needs boto3, from the 's3' extra: pip install 'limner[s3]'"
        ) from exc
    return boto3


class S3ImageStore:
    def __init__(
        self,
        location: S3Location,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.location = location
        if client is None:
            from botocore.config import Config

            client = _boto3().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=Config(retries={"mode": "standard"}, s3={"addressing_style": "path"}),
            )
        self._client = client

    def key_for(self, token: str, media_type: str) -> str:
        validate_token(token)
        name = f"{token[:2]}/{token}.{EXTENSIONS[media_type]}"
        return f"{self.location.prefix}/{name}" if self.location.prefix else name

    def put(self, token: str, data: bytes, media_type: str) -> None:
        self._call(
            "put_object",
            Bucket=self.location.bucket,
            Key=self.key_for(token, media_type),
            Body=data,
            ContentType=media_type,
            CacheControl="public, max-age=31536000, immutable",
        )

    def get(self, token: str, media_type: str) -> StoredImage:
        response = self._call(
            "get_object", Bucket=self.location.bucket, Key=self.key_for(token, media_type)
        )
        return StoredImage(response["Body"].read(), media_type)

    def delete(self, token: str, media_type: str) -> None:
        self._call(
            "delete_object", Bucket=self.location.bucket, Key=self.key_for(token, media_type)
        )

    def list_objects(self) -> Iterator[StoredObjectInfo]:
        from botocore.exceptions import BotoCoreError, ClientError

        prefix = f"{self.location.prefix}/" if self.location.prefix else ""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.location.bucket, Prefix=prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    shard, _, name = str(item["Key"]).removeprefix(prefix).partition("/")
                    parsed = parse_object_name(name)
                    if parsed is None or parsed[0][:2] != shard:
                        continue
                    yield StoredObjectInfo(
                        token=parsed[0], media_type=parsed[1], modified_at=item["LastModified"]
                    )
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"S3 list_objects_v2 failed: {exc}") from exc

    def check(self) -> bool:
        self._call("head_bucket", Bucket=self.location.bucket)
        return True

    def presigned_url(self, token: str, media_type: str, ttl_s: int) -> str:
        """A URL that fetches the image straight from the store for `ttl_s` seconds."""
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.location.bucket, "Key": self.key_for(token, media_type)},
            ExpiresIn=ttl_s,
        )
        return url

    def _call(self, operation: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            # a missing object is a missing image; a missing bucket is a broken store
            if operation == "get_object" and code in ("NoSuchKey", "404"):
                raise NotFound("No such image.") from exc
            raise StorageUnavailable(f"S3 {operation} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 {operation} failed: {exc}") from exc
