"""Where generated images are kept. Local disk by default."""

from limner.storage.base import ImageStore, StoredImage, validate_token
from limner.storage.local import LocalImageStore

__all__ = ["ImageStore", "LocalImageStore", "StoredImage", "validate_token"]
