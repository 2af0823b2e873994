"""What a kind of job declares: its request fields, its price, the backend capability it needs,
the media it makes and the screening its outputs get. The plan, the engine, the queue, the
ledger and recovery treat every kind alike through this class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from limner.domain.requests import GenerateRequest, parse_model
from limner.domain.styles import credit_cost
from limner.generation.inputs import KindInput, PictureRef
from limner.moderation.base import TextField
from limner.screening import Checks, checks_for

__all__ = ["Delivered", "Kind", "moderation_fields"]


@dataclass(frozen=True)
class Delivered:
    """The stored files of one output, as (token, media type): the first is the picture
    `image_url` shows (a video's poster), the rest go with it (the MP4). `info` describes a
    video (`generations.media`: duration_s, fps, frames, width, height)."""

    files: tuple[tuple[str, str], ...]
    info: dict[str, Any] | None = None


class Kind:
    """A kind of job. Subclass it in a module of its own and list it in `kinds/__init__.py`."""

    #: the wire value of `type` (and `generations.type`, `jobs.kind`)
    name: ClassVar[str]
    #: the request body (validated at the edge; `type` itself is read by the registry)
    request_model: ClassVar[type[GenerateRequest]] = GenerateRequest
    #: what a backend must answer `supports(kind=...)` for
    capability: ClassVar[str]
    #: what each output is delivered as
    media_out: ClassVar[str] = "image/png"
    #: takes a user's picture: its outputs are screened for nudity and marked composite
    takes_user_image: ClassVar[bool] = False
    #: `width`/`height` are a picture's size, checked against the preset's native pixels by
    #: the plan (a video kind checks its frame size against its own caps instead)
    sized_as_image: ClassVar[bool] = True

    @property
    def timeout_s(self) -> float | None:
        """How long one output may take; None: the runner's (`LIMNER_GENERATION_TIMEOUT_S`)."""
        return None

    def parse(self, body: dict[str, Any]) -> GenerateRequest:
        return parse_model(self.request_model, body)

    def price_per_output(self, request: GenerateRequest) -> int:
        """Credits for one delivered output (charged only on success)."""
        return credit_cost(request.quality)

    def outputs(self, request: GenerateRequest) -> int:
        return request.n

    def checks(self, request: GenerateRequest, *, sfw_only: bool) -> Checks:
        return checks_for(style=request.style, sfw_only=sfw_only, image_input=self.takes_user_image)

    def text_fields(self, request: GenerateRequest) -> list[TextField]:
        """Every free-text field, for moderation (a kind with more text adds its own)."""
        return moderation_fields(request)

    def pictures(self, request: GenerateRequest) -> tuple[PictureRef, ...]:
        """The request's picture fields with their references, in the backend's order. The
        planner resolves and admits each one (`generation.admission`): a kind never sees a
        picture the safety gate has not passed."""
        return ()

    def backend_inputs(
        self, inputs: tuple[KindInput, ...], request: GenerateRequest
    ) -> tuple[Image.Image, ...]:
        """The pictures the backend gets (`GenerationSpec.inputs`), from the admitted inputs:
        an inpaint's mask as an "L" picture, an outpaint's enlarged canvas and border mask.
        Runs in the plan, before any credit is held: a wrong field is a `ValidationFailed`."""
        return tuple(each.picture.image.convert("RGB") for each in inputs)

    def finish(
        self, made: Image.Image, inputs: tuple[Image.Image, ...], request: GenerateRequest
    ) -> Image.Image:
        """The delivered picture from the backend's (at the model's size grid): resized back,
        composited through a mask. `inputs` are this kind's `backend_inputs`."""
        return made

    def spec_options(self, request: GenerateRequest) -> dict[str, Any]:
        """Extra `GenerationSpec` fields this kind sets (i2i: `strength`)."""
        return {}


def moderation_fields(request: GenerateRequest) -> list[TextField]:
    """Every free-text field of the request, with its dotted path."""
    fields = [TextField("prompt", request.prompt)]
    if request.appearance is not None:
        fields += [
            TextField(f"appearance.{name}", value)
            for name, value in request.appearance.free_text_fields().items()
        ]
    caption = request.caption()
    if caption is not None and caption.text:
        fields.append(TextField("snap_caption.text", caption.text))
    return fields
