"""`i2v`: animate a still (studio spec, "Video"): the video starts from the `image`.

The planner resolves `image` (an upload, the key's own `gen_`, a data URL, https through the
guard) and admits it through `generation.admission` like every input picture: in the adult style
a user's picture is refused (403, recorded) and only the key's own provenance-verified
generations are taken; every input picture is screened. The outputs of a job that took a user's
picture are screened for nudity on sampled frames.
"""

from __future__ import annotations

from pydantic import Field

from limner.domain.requests import GenerateRequest
from limner.generation.inputs import PictureRef
from limner.generation.kinds.video import VideoKind, VideoRequest


class ImageToVideoRequest(VideoRequest):
    """`POST /api/v1/generate` with `"type": "i2v"`."""

    image: str = Field(
        ...,
        description="The still to animate: an upload (upl_...), one of the key's generations "
        "(gen_..., gen_...#2), a data:image/...;base64, URL or an https:// URL.",
    )


class ImageToVideo(VideoKind):
    name = "i2v"
    capability = "i2v"
    request_model = ImageToVideoRequest
    takes_user_image = True

    def pictures(self, request: GenerateRequest) -> tuple[PictureRef, ...]:
        assert isinstance(request, ImageToVideoRequest)
        return (PictureRef("image", request.image),)
