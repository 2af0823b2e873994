"""`i2i`: image to image (studio spec), a sketch that proves the registry.

It takes `image` and `strength` beside the t2i fields. The planner resolves `image` (any media
reference form) and admits it through `generation.admission` before a backend sees it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from limner.domain.requests import GenerateRequest
from limner.generation.inputs import PictureRef
from limner.generation.kinds.base import Kind

DEFAULT_STRENGTH = 0.6


class ImageToImageRequest(GenerateRequest):
    """`POST /api/v1/generate` with `"type": "i2i"`."""

    image: str = Field(
        ...,
        description="The input picture: an upload (upl_...), one of the key's generations "
        "(gen_..., gen_...#2), a data:image/...;base64, URL or an https:// URL.",
    )
    strength: Annotated[float, Field(ge=0.05, le=1.0)] = Field(
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

    def spec_options(self, request: GenerateRequest) -> dict[str, Any]:
        assert isinstance(request, ImageToImageRequest)
        return {"strength": request.strength}
