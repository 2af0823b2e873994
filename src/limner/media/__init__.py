"""Media in: uploads, media references (`upl_`/`gen_`/`data:`/`https:`), masks, storage sweep."""

from limner.media._decode import ACCEPTED_FORMATS, CleanImage, MediaLimits, clean_image
from limner.media.uploads import (
    UploadInfo,
    create_upload,
    delete_upload,
    find_upload,
    get_upload,
)

__all__ = [
    "ACCEPTED_FORMATS",
    "CleanImage",
    "MediaLimits",
    "UploadInfo",
    "clean_image",
    "create_upload",
    "delete_upload",
    "find_upload",
    "get_upload",
]
