"""`/v1/images/edits` and `/v1/images/variations` -> the v1 body of an image-input kind.

An edit with a `mask` is `inpaint`, without one `i2i`; a variation is `i2i` of its image with a
fixed prompt. Pictures go into the body as `data:` references, so the v1 planner does with them
what it does for any client: the adult style refuses them (safety line 2), the media resolver
checks their size and type, screening looks at them and at the outputs.

OpenAI's mask convention is "transparent pixels are repainted" and a mask must have an alpha
channel. Limner's masks without alpha mean "grey 128 and above is repainted", so the mask is
converted here into exactly that: a greyscale PNG, white where the OpenAI mask's alpha is below
128, black elsewhere. The routes (`limner.api.routes.openai`) read the multipart body and call
`edit_call` / `variation_call`; `EditForm` and `VariationForm` document that body in OpenAPI.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field

from limner.errors import PayloadTooLarge, ValidationFailed
from limner.media import ACCEPTED_FORMATS, MediaLimits, decode_picture, sniff_format
from limner.openai_api.params import ImageCall, ImageOptions, image_call, parse_openai

__all__ = [
    "VARIATION_PROMPT",
    "EditForm",
    "VariationForm",
    "data_url",
    "edit_call",
    "openai_mask",
    "sniff_image_type",
    "variation_call",
]

#: the prompt of a variation (OpenAI's variations take none; i2i needs one)
VARIATION_PROMPT = "a variation of this image, same subject and composition"
#: alpha below this is "transparent" in an OpenAI mask
TRANSPARENT_BELOW = 128


class VariationForm(ImageOptions):
    """`POST /v1/images/variations` as multipart (the OpenAPI description of the form; the
    route reads the body itself, `limner.api.openai_forms`)."""

    model_config = ConfigDict(title="OpenAIImageVariationRequest")

    image: bytes = Field(
        description="The picture (PNG, JPEG or WebP within the upload limits); one file. "
        "The answer is at its size."
    )


class EditForm(VariationForm):
    """`POST /v1/images/edits` as multipart."""

    model_config = ConfigDict(title="OpenAIImageEditRequest")

    prompt: str = Field(description="What to make of the picture (moderated).")
    mask: bytes | None = Field(
        None,
        description="A PNG with an alpha channel (resized to the image): its transparent "
        "pixels are repainted (inpaint); without a mask the whole picture is reworked (i2i).",
    )


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG or WebP bytes by their signature; None for anything else."""
    fmt = sniff_format(data)
    return None if fmt is None else ACCEPTED_FORMATS[fmt]


def data_url(data: bytes, field: str) -> str:
    """A picture as a `data:` media reference, or `validation_error` naming the field."""
    media_type = sniff_image_type(data)
    if media_type is None:
        raise ValidationFailed(field, f"{field}: must be a PNG, JPEG or WebP image")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def openai_mask(data: bytes, *, limits: MediaLimits) -> bytes:
    """An OpenAI mask (transparent = repaint) as a Limner greyscale mask (white = repaint),
    within the input picture limits (its shape is checked before its pixels are decoded)."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(limits.max_bytes)
    with limits.gate.held():
        image = decode_picture(data, limits=limits, field="mask")
        if "A" not in image.getbands() and "transparency" not in image.info:
            raise ValidationFailed(
                "mask", "mask: must have an alpha channel; its transparent pixels are repainted"
            )
        alpha = image.convert("RGBA").getchannel("A")
        repaint = alpha.point(lambda value: 255 if value < TRANSPARENT_BELOW else 0, mode="L")
        out = io.BytesIO()
        repaint.save(out, "PNG")
    return out.getvalue()


#: longer integers than any form field accepts
MAX_INT_DIGITS = 40


def edit_call(
    form: Mapping[str, Any], image: bytes, mask: bytes | None, *, limits: MediaLimits
) -> ImageCall:
    """Translate `POST /v1/images/edits` (its text fields, the image and the optional mask).
    Decodes the mask: call it off the event loop."""
    fields = dict(form)
    prompt = fields.pop("prompt", None)
    if not isinstance(prompt, str):
        raise ValidationFailed("prompt", "prompt: this field is required")
    options = parse_openai(ImageOptions, _typed(fields))
    body: dict[str, Any] = {"prompt": prompt, "image": data_url(image, "image")}
    if mask is None:
        body["type"] = "i2i"
    else:
        body["type"] = "inpaint"
        body["mask"] = data_url(openai_mask(mask, limits=limits), "mask")
    return image_call(options, body)


def variation_call(form: Mapping[str, Any], image: bytes) -> ImageCall:
    """Translate `POST /v1/images/variations`: `i2i` of the image with a fixed prompt."""
    options = parse_openai(ImageOptions, _typed(dict(form)))
    body = {"type": "i2i", "prompt": VARIATION_PROMPT, "image": data_url(image, "image")}
    return image_call(options, body)


def _typed(fields: dict[str, Any]) -> dict[str, Any]:
    """Multipart fields arrive as text: the numeric and boolean ones as the JSON types. A number
    longer than any field accepts becomes a stand-in out of every range (as in JSON bodies), so
    the field is named in a 400 rather than `int()` failing past 4300 digits."""
    typed = dict(fields)
    for name in ("n", "output_compression", "partial_images"):
        value = typed.get(name)
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            digits = value.strip().lstrip("0") or "0"
            typed[name] = 10**MAX_INT_DIGITS if len(digits) > MAX_INT_DIGITS else int(digits)
    if isinstance(typed.get("stream"), str):
        typed["stream"] = typed["stream"].lower() == "true"
    return typed
