"""`i2i`: image to image (studio spec), a sketch that proves the registry.

It takes `image` and `strength` beside the t2i fields. References are resolved by the
`ImageResolver` the engine is given: only inline `data:image/png;base64,...` for now (uploads,
`gen_` and https references plug in there, without touching this module). The adult style never
gets here with a picture: `adult_image_inputs` refuses it before the body is parsed.
"""

from __future__ import annotations

from typing import Annotated, Any

from PIL import Image
from pydantic import Field, field_validator

from limner.domain.requests import GenerateRequest
from limner.generation.accounts import AccountRef
from limner.generation.inputs import ImageResolver
from limner.generation.kinds.base import Kind

DEFAULT_STRENGTH = 0.6


class ImageToImageRequest(GenerateRequest):
    """`POST /api/v1/generate` with `"type": "i2i"`."""

    image: str = Field(..., description="The input picture: data:image/png;base64,...")
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

    def inputs(
        self, request: GenerateRequest, account: AccountRef, resolve: ImageResolver
    ) -> tuple[Image.Image, ...]:
        assert isinstance(request, ImageToImageRequest)
        return (resolve(request.image, field="image", account=account),)

    def spec_options(self, request: GenerateRequest) -> dict[str, Any]:
        assert isinstance(request, ImageToImageRequest)
        return {"strength": request.strength}
