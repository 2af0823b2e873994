"""`i2i`: image to image (studio spec): the input picture, transformed by the prompt.

It takes `image` and `strength` beside the t2i fields. The planner resolves `image` (any media
reference form) and admits it through `generation.admission` before a backend sees it. The
backend works at its model's size grid; the result is brought back to the input's size.
"""

from __future__ import annotations

from typing import Annotated, Any

from PIL import Image
from pydantic import Field, field_validator

from limner.domain.requests import GenerateRequest
from limner.generation.inputs import PictureRef
from limner.generation.kinds.base import Kind

DEFAULT_STRENGTH = 0.6
MIN_STRENGTH = 0.05

IMAGE_DESCRIPTION = (
    "The input picture: an upload (upl_...), one of the key's generations (gen_..., gen_...#2), "
    "a data:image/png|jpeg|webp;base64, URL or an https:// URL."
)


class ImageInputRequest(GenerateRequest):
    """The fields every image-input type shares."""

    image: str = Field(..., description=IMAGE_DESCRIPTION)


class ImageToImageRequest(ImageInputRequest):
    """`POST /api/v1/generate` with `"type": "i2i"`."""

    strength: Annotated[float, Field(ge=MIN_STRENGTH, le=1.0)] = Field(
        DEFAULT_STRENGTH, description="0.05 keeps the input almost as it is; 1 ignores it."
    )

    @field_validator("strength", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("strength must be a number from 0.05 to 1")
        return value


class ImageToImage(Kind):
    name = "i2i"
    capability = "i2i"
    request_model = ImageToImageRequest
    takes_user_image = True

    def pictures(self, request: GenerateRequest) -> tuple[PictureRef, ...]:
        assert isinstance(request, ImageToImageRequest)
        return (PictureRef("image", request.image),)

    def finish(
        self, made: Image.Image, inputs: tuple[Image.Image, ...], request: GenerateRequest
    ) -> Image.Image:
        """Back to the input's size (the backend made it at its model's size grid)."""
        size = inputs[0].size
        return made if made.size == size else made.resize(size, Image.Resampling.LANCZOS)

    def spec_options(self, request: GenerateRequest) -> dict[str, Any]:
        assert isinstance(request, ImageToImageRequest)
        return {"strength": request.strength}
