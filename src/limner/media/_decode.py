"""Untrusted picture bytes in, a clean picture out: PNG, JPEG or WebP only, within the byte and
pixel limits, EXIF orientation applied, every byte of metadata gone.

Metadata is stripped by copying the pixels into a new image (whose `info` is empty) and encoding
that, rather than by asking the encoder to leave fields out: Pillow's PNG and WebP writers carry
an ICC profile or EXIF over from `info` unless told otherwise, and that list can grow.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from limner.errors import PayloadTooLarge, ValidationFailed

#: Pillow format name -> the MIME type the clean copy is stored as
ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True)
class MediaLimits:
    """How large an input picture may be (`LIMNER_MAX_UPLOAD_BYTES`, `_PIXELS`)."""

    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class CleanImage:
    """A decoded input picture and its metadata-free encoding."""

    image: Image.Image
    data: bytes
    media_type: str
    sha256: str

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def clean_image(data: bytes, *, limits: MediaLimits, field: str = "file") -> CleanImage:
    """Decode `data` as PNG/JPEG/WebP and re-encode it without metadata.

    Raises `PayloadTooLarge` past the byte limit and `ValidationFailed` (naming `field`) for
    anything that is not such a picture or has too many pixels."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(limits.max_bytes)
    image = _open(data, limits=limits, field=field)
    media_type = ACCEPTED_FORMATS[str(image.format)]
    try:
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError) as exc:
        raise ValidationFailed(field, f"{field}: the picture could not be decoded") from exc
    clean = _pixels_only(image)
    encoded = _encode(clean, media_type)
    return CleanImage(
        image=clean,
        data=encoded,
        media_type=media_type,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


def _open(data: bytes, *, limits: MediaLimits, field: str) -> Image.Image:
    not_an_image = ValidationFailed(field, f"{field}: not a PNG, JPEG or WebP picture")
    with warnings.catch_warnings():
        # a decompression bomb is refused like any picture over the limit, not a warning
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise not_an_image from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(field, limits) from exc
        # the header says the size: refuse before the pixels are decoded
        if image.width * image.height > limits.max_pixels:
            raise _too_many_pixels(field, limits)
        try:
            image.load()
        except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt
            raise not_an_image from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(field, limits) from exc
    return image


def _too_many_pixels(field: str, limits: MediaLimits) -> ValidationFailed:
    return ValidationFailed(
        field, f"{field}: the picture has more than {limits.max_pixels} pixels (width x height)"
    )


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and no `info` (no EXIF, ICC, XMP, text chunks)."""
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, media_type: str) -> bytes:
    buffer = io.BytesIO()
    if media_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, format="JPEG", quality=95)
    elif media_type == "image/webp":
        image.save(buffer, format="WEBP", quality=95)
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()
