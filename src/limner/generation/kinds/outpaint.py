"""`outpaint`: extend the input picture by `expand` pixels on each side (studio spec).

An inpaint on the enlarged canvas: the input sits at (left, top), the new border is filled from
its edge pixels and masked for repainting (`media.composite.expand_canvas`), and the result is
composited back, so the input's rectangle is unchanged but for the watermark.
"""

from __future__ import annotations

from typing import Annotated

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

from limner.domain.requests import MAX_SIDE, GenerateRequest
from limner.errors import ValidationFailed
from limner.generation.inputs import KindInput, PictureRef
from limner.generation.kinds.base import Kind
from limner.generation.kinds.i2i import ImageInputRequest
from limner.media.composite import Expand, composite, expand_canvas

#: the most pixels one side may grow by
MAX_EXPAND_PX = 1024
#: the most pixels (width x height) of the enlarged canvas
MAX_CANVAS_PIXELS = 2048 * 2048

Side = Annotated[int, Field(strict=True, ge=0, le=MAX_EXPAND_PX)]


class ExpandBy(BaseModel):
    """Pixels to add on each side (0 to 1024 each; at least one side above 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    left: Side = 0
    right: Side = 0
    top: Side = 0
    bottom: Side = 0

    @model_validator(mode="after")
    def _grows(self) -> ExpandBy:
        if not (self.left or self.right or self.top or self.bottom):
            raise ValueError("expand must add pixels on at least one side")
        return self

    def as_expand(self) -> Expand:
        return Expand(left=self.left, right=self.right, top=self.top, bottom=self.bottom)


class OutpaintRequest(ImageInputRequest):
    """`POST /api/v1/generate` with `"type": "outpaint"`."""

    expand: ExpandBy = Field(..., description="Pixels to add: {left, right, top, bottom}.")


class Outpaint(Kind):
    name = "outpaint"
    capability = "outpaint"
    request_model = OutpaintRequest
    takes_user_image = True

    def pictures(self, request: GenerateRequest) -> tuple[PictureRef, ...]:
        assert isinstance(request, OutpaintRequest)
        return (PictureRef("image", request.image),)

    def backend_inputs(
        self, inputs: tuple[KindInput, ...], request: GenerateRequest
    ) -> tuple[Image.Image, ...]:
        assert isinstance(request, OutpaintRequest)
        image = inputs[0].picture.image
        expand = request.expand.as_expand()
        width, height = expand.canvas_size(image.size)
        if width * height > MAX_CANVAS_PIXELS:
            raise ValidationFailed(
                "expand",
                f"expand: the canvas would be {width}x{height}, more than "
                f"{MAX_CANVAS_PIXELS} pixels",
            )
        if max(width, height) > MAX_SIDE:
            # every output is a valid input again (`gen_...`): its sides keep the same bound
            raise ValidationFailed(
                "expand",
                f"expand: the canvas would be {width}x{height}; each side must be at most "
                f"{MAX_SIDE} pixels",
            )
        return expand_canvas(image, expand)

    def finish(
        self, made: Image.Image, inputs: tuple[Image.Image, ...], request: GenerateRequest
    ) -> Image.Image:
        canvas, mask = inputs
        return composite(canvas, made, mask)
