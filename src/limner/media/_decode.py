"""Untrusted picture bytes in, a clean picture out: PNG, JPEG or WebP only, within the byte and
shape limits, EXIF orientation applied, every byte of metadata gone.

Every door a picture comes in by (uploads, data: and https: references, masks, character
references, the OpenAI edits and variations, `/api/v1/verify`) goes through `MediaLimits`: one
bound on each side, on the aspect ratio and on the pixel count, checked on the size the file's
header states before a pixel is decoded, and one server-wide gate on how many pictures decode at
once (docs/configuration.md, "Memory budget"). Every later resize targets a shape that passed it.

Metadata is stripped by copying the pixels into a new image (whose `info` is empty) and encoding
that, rather than by asking the encoder to leave fields out: Pillow's PNG and WebP writers carry
an ICC profile or EXIF over from `info` unless told otherwise, and that list can grow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from limner.errors import PayloadTooLarge, ValidationFailed

if TYPE_CHECKING:
    from limner.config import Settings

#: Pillow format name -> the MIME type the clean copy is stored as
ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
#: the first bytes of each accepted format (WebP: `RIFF`, four bytes of size, `WEBP`)
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))


def sniff_format(data: bytes) -> str | None:
    """The Pillow format name of PNG, JPEG or WebP bytes by their signature; None otherwise."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


class DecodeGate:
    """At most `slots` pictures decode at once in this process (`LIMNER_MAX_CONCURRENT_DECODES`):
    a decode's memory is bounded by the shape limits, and this bounds how many add up. A caller
    past the limit waits for a slot (on a worker thread, never on the event loop)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"`slots` must be at least 1 but is {slots}")
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._free:
            yield


@dataclass(frozen=True)
class MediaLimits:
    """How large an input picture may be: bytes, pixels, each side, the aspect ratio
    (`LIMNER_MAX_UPLOAD_BYTES`, `_PIXELS`, `_SIDE`, `LIMNER_MIN_UPLOAD_SIDE`,
    `LIMNER_MAX_UPLOAD_ASPECT`), and the decode gate every picture passes. Build it once per
    process (`from_settings`), so the gate is shared."""

    max_bytes: int
    max_pixels: int
    max_side: int = 4096
    #: below this the invisible watermark of an output at the input's size does not read back
    min_side: int = 32
    max_aspect: float = 128.0
    gate: DecodeGate = dataclasses.field(default_factory=lambda: DecodeGate(2), compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaLimits:
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_upload_pixels,
            max_side=settings.max_upload_side,
            min_side=settings.min_upload_side,
            max_aspect=settings.max_upload_aspect,
            gate=DecodeGate(settings.max_concurrent_decodes),
        )

    def check_size(self, width: int, height: int, *, field: str) -> None:
        """Raise `ValidationFailed` naming `field` and the limit when a `width` x `height`
        picture is out of bounds."""
        shape = f"{field}: the picture is {width}x{height}"
        if min(width, height) < self.min_side:
            raise ValidationFailed(
                field, f"{shape}; each side must be at least {self.min_side} pixels"
            )
        if max(width, height) > self.max_side:
            raise ValidationFailed(
                field, f"{shape}; each side must be at most {self.max_side} pixels"
            )
        if max(width, height) > self.max_aspect * min(width, height):
            raise ValidationFailed(
                field,
                f"{shape}; its long side may be at most {self.max_aspect:g} times its short side",
            )
        if width * height > self.max_pixels:
            raise _too_many_pixels(field, self)


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
    with limits.gate.held():
        image = decode_picture(data, limits=limits, field=field)
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


def open_picture(data: bytes, *, limits: MediaLimits, field: str) -> Image.Image:
    """`data` opened as PNG, JPEG or WebP (told by its signature; Pillow tries no other format)
    with the size its header states checked against `limits`; no pixel is decoded yet."""
    fmt = sniff_format(data)
    if fmt is None:
        raise _not_an_image(field)
    with warnings.catch_warnings():
        # a decompression bomb is refused like any picture over the limit, not a warning
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise _not_an_image(field) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(field, limits) from exc
    limits.check_size(image.width, image.height, field=field)
    return image


def decode_picture(data: bytes, *, limits: MediaLimits, field: str) -> Image.Image:
    """`open_picture`, then the pixels decoded. Hold `limits.gate` around it and whatever
    the caller does with the pixels (`clean_image` does)."""
    image = open_picture(data, limits=limits, field=field)
    not_an_image = _not_an_image(field)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt
            raise not_an_image from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(field, limits) from exc
    return image


def _not_an_image(field: str) -> ValidationFailed:
    return ValidationFailed(field, f"{field}: not a PNG, JPEG or WebP picture")


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
