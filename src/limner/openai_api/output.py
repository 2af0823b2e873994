"""The images of a finished generation, in the shape and format an OpenAI client asked for.

The engine stores PNG. `jpeg` and `webp` are re-encoded here, at this surface only (the engine's
own `output_format` is being added on another branch; then the v1 body carries it and this
re-encoding goes). The provenance survives: the invisible watermark is in the pixels, and the
XMP and EXIF metadata (digital source type, generator, generation id) are copied over. A C2PA
manifest is signed over the PNG's bytes, so a re-encoded image does not carry it; `url` always
serves the stored PNG with its manifest.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from limner.openai_api.params import OutputFormat

__all__ = ["DEFAULT_COMPRESSION_QUALITY", "b64_image", "encode_image"]

#: the encoder quality of jpeg/webp when the client sends no `output_compression`
DEFAULT_COMPRESSION_QUALITY = 92
_PIL_FORMATS = {"jpeg": "JPEG", "webp": "WEBP"}


def encode_image(png: bytes, output: OutputFormat) -> bytes:
    """The stored PNG as `output` asks: unchanged for png, re-encoded with its metadata else."""
    if output.name == "png":
        return png
    with Image.open(io.BytesIO(png)) as image:
        xmp = image.info.get("xmp")
        exif = image.getexif()
        pixels = image.convert("RGB")
    options: dict[str, Any] = {
        "quality": DEFAULT_COMPRESSION_QUALITY
        if output.compression is None
        else output.compression,
        "exif": exif.tobytes(),
    }
    if xmp:
        options["xmp"] = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
    out = io.BytesIO()
    pixels.save(out, _PIL_FORMATS[output.name], **options)
    return out.getvalue()


def b64_image(png: bytes, output: OutputFormat) -> str:
    return base64.b64encode(encode_image(png, output)).decode("ascii")
