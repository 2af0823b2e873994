"""Where generated images are kept. Local disk by default; S3-compatible with the `s3` extra."""

from limner.storage.base import ImageStore, StoredImage, StoredObjectInfo, validate_token
from limner.storage.factory import create_image_store
from limner.storage.local import LocalImageStore

__all__ = [
    "ImageStore",
    "LocalImageStore",
    "StoredImage",
    "StoredObjectInfo",
    "create_image_store",
    "validate_token",
]
