"""`inpaint`: repaint the masked region of the input picture (studio spec, "Masks").

The mask is a picture of any size (resized to the image): without alpha, grey level 128 and up
is repainted; with alpha, transparent pixels are (`media.masks`). The backend repaints the whole
canvas at its model's size grid; `finish` brings it back and composites it through the mask
(`media.composite`), so every pixel outside the mask is the input's (changed only by the
watermark stamped afterwards) and the feathered seam lies inside the mask.
"""

from __future__ import annotations

from PIL import Image
from pydantic import Field

from limner.domain.requests import GenerateRequest
from limner.errors import ValidationFailed
from limner.generation.inputs import KindInput, PictureRef
from limner.generation.kinds.base import Kind
from limner.generation.kinds.i2i import ImageInputRequest
from limner.media.composite import composite
from limner.media.masks import mask_image


class InpaintRequest(ImageInputRequest):
    """`POST /api/v1/generate` with `"type": "inpaint"`."""

    mask: str = Field(
        ...,
        description="Where to repaint, as a media reference like `image`: grey level 128 or "
        "above (or transparent, where the picture has alpha) is repainted; any size.",
    )


class Inpaint(Kind):
    name = "inpaint"
    capability = "inpaint"
    request_model = InpaintRequest
    takes_user_image = True

    def pictures(self, request: GenerateRequest) -> tuple[PictureRef, ...]:
        assert isinstance(request, InpaintRequest)
        return (PictureRef("image", request.image), PictureRef("mask", request.mask))

    def backend_inputs(
        self, inputs: tuple[KindInput, ...], request: GenerateRequest
    ) -> tuple[Image.Image, ...]:
        image, mask = (each.picture.image for each in inputs)
        repaint = mask_image(mask, image.size)
        if repaint.getextrema()[1] == 0:
            raise ValidationFailed("mask", "mask: it repaints nothing (no pixel at grey 128+)")
        return image.convert("RGB"), repaint

    def finish(
        self, made: Image.Image, inputs: tuple[Image.Image, ...], request: GenerateRequest
    ) -> Image.Image:
        image, mask = inputs
        return composite(image, made, mask)
