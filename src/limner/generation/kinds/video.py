"""What `t2v` and `i2v` share (studio spec, "Video"): the request fields and their caps, the
price per second, and delivering a video output (the hook the engine calls for `video/mp4`).

Caps are the operator's (`VideoTerms`, from settings in `wiring.py`): the body of a request never
decides the server's memory use beyond them. Each refusal is `400 validation_error` naming the
field. A video is one output (`n` is refused), always queued (`202`), priced per requested
second; the frames a model makes beyond `duration_s x fps` (LTX makes 8k+1) are not billed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from limner.backends.base import Media
from limner.domain.requests import GenerateRequest, parse_model
from limner.domain.styles import Quality
from limner.errors import ContentBlocked, ValidationFailed
from limner.generation.kinds.base import Delivered, Kind
from limner.media.video import VIDEO_MP4, poster_png, sample_indices
from limner.screening import Checks

__all__ = [
    "DEFAULT_DURATION_S",
    "Delivered",
    "VideoKind",
    "VideoRequest",
    "VideoTerms",
    "deliver_video",
]

DEFAULT_DURATION_S = 4
MAX_DURATION_S = 10


#: the most frames per second and pixels a side any server takes (its own caps are lower)
MAX_FPS = 240
MAX_SIDE = 4096
#: video models work on latent patches of this many pixels a side
PATCH_PX = 32


@dataclass(frozen=True)
class VideoTerms:
    """The operator's prices and caps for videos (settings `video_*`)."""

    #: credits per requested second, by quality
    credits_per_second: dict[Quality, int] = field(
        default_factory=lambda: {Quality.fast: 2, Quality.hires: 4}
    )
    max_fps: int = 30
    max_frames: int = 257
    #: width x height of a frame
    max_pixels: int = 1280 * 720
    #: the fps a request without one is checked against (the model's own is used to make it)
    default_fps: int = 24
    #: how long one video may take to make (a video is far longer work than an image)
    timeout_s: float = 1800.0


class VideoRequest(GenerateRequest):
    """The fields every video type adds to `POST /api/v1/generate`."""

    duration_s: Annotated[int, Field(strict=True, ge=1, le=MAX_DURATION_S)] = Field(
        DEFAULT_DURATION_S, description="Seconds of video, 1 to 10; credits are per second."
    )
    # hard ceilings above any server's caps: a number past them is refused by the model with
    # the ceiling, so a message never shows the stand-in a huge JSON number is parsed as
    fps: Annotated[int, Field(strict=True, ge=1, le=MAX_FPS)] | None = Field(
        None, description="Frames per second; default: the model's own (for example 24)."
    )
    width: Annotated[int, Field(strict=True, ge=64, le=MAX_SIDE)] | None = Field(
        None,
        description="Frame width in px, a multiple of 8, made at the multiple of 32 at or below "
        "it (video models work on 32 px patches); default: the model's.",
    )
    height: Annotated[int, Field(strict=True, ge=64, le=MAX_SIDE)] | None = Field(
        None,
        description="Frame height in px, a multiple of 8, made at the multiple of 32 at or "
        "below it (1280x720 is made at 1280x704); default: the model's.",
    )

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int | None) -> int | None:
        # the studio spec's grid; the frame is made on the model's 32 px grid (`spec_options`)
        if value is not None and value % 8:
            raise ValueError(f"must be a multiple of 8 but is {value}")
        return value

    @property
    def queued(self) -> bool:
        """Videos are long work: always answered 202 with the job (studio spec)."""
        return True


#: where a stored file goes: store(data, media_type) -> token
Store = Callable[[bytes, str], str]


class VideoKind(Kind):
    """A kind whose output is an MP4 and its poster."""

    media_out = VIDEO_MP4
    request_model: ClassVar[type[GenerateRequest]] = VideoRequest
    #: width/height are the frame size, capped by `VideoTerms` and passed in `spec_options`
    sized_as_image = False

    def __init__(self, terms: VideoTerms | None = None) -> None:
        self.terms = terms or VideoTerms()

    @property
    def timeout_s(self) -> float | None:
        return self.terms.timeout_s

    def parse(self, body: dict[str, Any]) -> GenerateRequest:
        if "n" in body:
            raise ValidationFailed("n", "n: a video request makes one video; leave `n` out")
        if body.get("snap_caption") not in (None, False):
            raise ValidationFailed("snap_caption", "snap_caption: not available for videos")
        if body.get("output_format") not in (None, "png"):
            # the MP4 is the output; its poster is a PNG (output_format is for still outputs)
            raise ValidationFailed("output_format", "output_format: not available for videos")
        request = parse_model(self.request_model, body)
        assert isinstance(request, VideoRequest)
        self._check_caps(request)
        return request

    def _check_caps(self, request: VideoRequest) -> None:
        terms = self.terms
        if request.fps is not None and request.fps > terms.max_fps:
            raise ValidationFailed(
                "fps", f"fps: must be at most {terms.max_fps} on this server but is {request.fps}"
            )
        frames = request.duration_s * (request.fps or terms.default_fps)
        if frames > terms.max_frames:
            name = "fps" if request.fps is not None else "duration_s"
            raise ValidationFailed(
                name,
                f"{name}: duration_s x fps is {frames} frames; this server makes at most "
                f"{terms.max_frames}",
            )
        if (request.width is None) != (request.height is None):
            missing = "height" if request.height is None else "width"
            raise ValidationFailed(missing, f"{missing}: give width and height together")
        pixels = (request.width or 0) * (request.height or 0)
        if pixels > terms.max_pixels:
            raise ValidationFailed(
                "width",
                f"width: {request.width}x{request.height} is more than this server's "
                f"{terms.max_pixels} pixels a frame",
            )

    def price_per_output(self, request: GenerateRequest) -> int:
        assert isinstance(request, VideoRequest)
        return self.terms.credits_per_second[request.quality] * request.duration_s

    def outputs(self, request: GenerateRequest) -> int:
        return 1

    def spec_options(self, request: GenerateRequest) -> dict[str, Any]:
        assert isinstance(request, VideoRequest)
        return {
            "duration_s": request.duration_s,
            "fps": request.fps,
            "width": _on_patch_grid(request.width),
            "height": _on_patch_grid(request.height),
        }


def _on_patch_grid(side: int | None) -> int | None:
    """A requested side on video models' 32 px latent patches (LTX), rounded down so the frame
    stays within the pixel cap; the answer's `width`/`height` say what was made."""
    return None if side is None else side - side % PATCH_PX


def deliver_video(
    media: Media,
    *,
    generation_id: str,
    checks: Checks,
    screen: Callable[[Any, Checks], str | None],
    refuse: Callable[[str], None],
    stamp_video: Callable[..., bytes],
    stamp_poster: Callable[[Any], tuple[bytes, str]],
    store: Store,
    on_second: Callable[[int, int], None],
) -> Delivered:
    """Screen sampled frames, stamp (watermark every frame, sign the MP4), encode, store the MP4
    and its poster. Nothing is stored unless every sampled frame passes."""
    if media.fps is None:
        raise ValueError("a video needs its fps")
    frames = media.frames
    fps = round(media.fps)
    for index in sample_indices(len(frames), fps):
        rule = screen(frames[index], checks)
        if rule is not None:
            refuse(rule)
            raise ContentBlocked(field="image", rule=rule)
    data = stamp_video(frames, fps, generation_id=generation_id, on_second=on_second)
    poster, poster_type = stamp_poster(poster_png(frames[0]))
    poster_token = store(poster, poster_type)
    video_token = store(data, VIDEO_MP4)
    width, height = frames[0].size
    return Delivered(
        files=((poster_token, poster_type), (video_token, VIDEO_MP4)),
        info={
            "duration_s": round(len(frames) / fps, 3),
            "fps": fps,
            "frames": len(frames),
            "width": width,
            "height": height,
        },
    )
