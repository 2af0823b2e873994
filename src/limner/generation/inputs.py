"""Resolving a request's picture references into images, behind one small protocol, so the
kinds do not know where a picture comes from. Today only inline PNG data URLs; uploads
(`upl_...`), the key's own generations (`gen_...`) and fetched `https://` pictures plug in as
another `ImageResolver` given to the engine."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from limner.errors import ValidationFailed
from limner.generation.accounts import AccountRef

__all__ = ["MAX_INPUT_PIXELS", "ImageResolver", "resolve_data_url"]

#: an input picture larger than this is refused (the outputs are at most 1024x1024)
MAX_INPUT_PIXELS = 4096 * 4096
DATA_URL_PREFIX = "data:image/png;base64,"


class ImageResolver(Protocol):
    def __call__(self, reference: str, *, field: str, account: AccountRef) -> Image.Image:
        """The picture `reference` names, or `ValidationFailed` on `field` (worded the same
        whether it is unknown, another key's, or not a picture)."""
        ...


def resolve_data_url(reference: str, *, field: str, account: AccountRef) -> Image.Image:
    """An inline `data:image/png;base64,...` picture, decoded and checked."""
    if not reference.startswith(DATA_URL_PREFIX):
        raise ValidationFailed(
            field, f"{field}: must be a data:image/png;base64,... URL on this server"
        )
    try:
        data = base64.b64decode(reference[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(field, f"{field}: the base64 data is not valid") from exc
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format != "PNG":
                raise ValidationFailed(field, f"{field}: the data is not a PNG image")
            width, height = opened.size
            if width * height > MAX_INPUT_PIXELS:
                raise ValidationFailed(
                    field, f"{field}: at most {MAX_INPUT_PIXELS} pixels, but is {width}x{height}"
                )
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(field, f"{field}: the data is not a PNG image") from exc
    return image
