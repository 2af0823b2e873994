"""Media in: uploads, media references (`upl_`/`gen_`/`data:`/`https:`), masks, storage sweep."""

from limner.media._decode import (
    ACCEPTED_FORMATS,
    CleanImage,
    DecodeGate,
    MediaLimits,
    clean_image,
    decode_picture,
    open_picture,
    sniff_format,
)
from limner.media.fetch import MediaFetcher
from limner.media.masks import mask_image, repaint_mask
from limner.media.refs import (
    InputImage,
    MediaResolver,
    MediaSources,
    RefSource,
    resolve_media_ref,
    source_of,
)
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
    "DecodeGate",
    "InputImage",
    "MediaFetcher",
    "MediaLimits",
    "MediaResolver",
    "MediaSources",
    "RefSource",
    "UploadInfo",
    "clean_image",
    "create_upload",
    "decode_picture",
    "delete_upload",
    "find_upload",
    "get_upload",
    "mask_image",
    "open_picture",
    "repaint_mask",
    "resolve_media_ref",
    "sniff_format",
    "source_of",
]
