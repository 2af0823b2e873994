"""`i2v`: animate a still (studio spec, "Video"): the video starts from the `image`.

The picture is resolved by the `ImageResolver` like any input (uploads, the key's own `gen_`,
data URLs, https through the guard); the adult style never takes a user's picture (refused before
the body is parsed, and recorded). The outputs of a job that took a user's picture are screened
for nudity on sampled frames.
"""

from __future__ import annotations

from PIL import Image
from pydantic import Field

from limner.domain.requests import GenerateRequest
from limner.generation.accounts import AccountRef
from limner.generation.inputs import ImageResolver
from limner.generation.kinds.video import VideoKind, VideoRequest


class ImageToVideoRequest(VideoRequest):
    """`POST /api/v1/generate` with `"type": "i2v"`."""

    image: str = Field(
        ...,
        description="The still to animate: upl_..., gen_..., data:image/...;base64,... or https.",
    )


class ImageToVideo(VideoKind):
    name = "i2v"
    capability = "i2v"
    request_model = ImageToVideoRequest
    takes_user_image = True

    def inputs(
        self, request: GenerateRequest, account: AccountRef, resolve: ImageResolver
    ) -> tuple[Image.Image, ...]:
        assert isinstance(request, ImageToVideoRequest)
        return (resolve(request.image, field="image", account=account),)
