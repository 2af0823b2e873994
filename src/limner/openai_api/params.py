"""OpenAI image parameters -> the v1 request body, checked at the edge.

The surface builds exactly the body a v1 client would send to `POST /api/v1/generate` and hands
it to the same planner, so keys, credits, moderation and screening are the v1 endpoint's.
`output_format` is the v1 field of the same name: the engine encodes and stamps the stored
image in it (metadata, watermark, C2PA manifest), so `url` and `b64_json` deliver the same
bytes. What the v1 body has no field for (the delivery: `response_format`, `size` while the
engine takes no size, `user`) travels beside it in `ImageCall`.

Every parameter OpenAI documents is either mapped, accepted as what Limner does anyway
(`background: opaque`, `style: natural`, `moderation: auto`), or refused with a 400 that names
it; nothing is silently dropped. A parameter OpenAI does not document is refused the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from limner.domain.requests import parse_model
from limner.domain.styles import Quality
from limner.errors import ValidationFailed
from limner.openai_api.catalog import ModelChoice, resolve_model
from limner.openai_api.errors import UnsupportedParameter

__all__ = [
    "QUALITY",
    "GenerationParams",
    "ImageCall",
    "ImageOptions",
    "Size",
    "generation_call",
    "parse_size",
]

#: OpenAI's `quality` values and the Limner quality each selects
QUALITY: dict[str, Quality] = {
    "auto": Quality.fast,
    "low": Quality.fast,
    "medium": Quality.fast,
    "standard": Quality.fast,
    "high": Quality.hires,
    "hd": Quality.hires,
}
MAX_USER_CHARS = 256
_SIZE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")

OpenAIQuality = Literal["auto", "low", "medium", "standard", "high", "hd"]


@dataclass(frozen=True)
class Size:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class ImageCall:
    """A request of the OpenAI surface, translated: the v1 body and the delivery beside it."""

    #: what a v1 client would POST to /api/v1/generate for the same work
    body: dict[str, Any]
    model: ModelChoice
    #: None: `auto` (the preset's own size)
    size: Size | None
    response_format: Literal["url", "b64_json"]
    #: the caller's end user (OpenAI's `user`), recorded with the generation for abuse review
    user: str | None


class ImageOptions(BaseModel):
    """The options `generations`, `edits` and `variations` share (OpenAI's names and values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    n: Annotated[int, Field(strict=True, ge=1)] | None = None
    size: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = Field(
        None,
        description="The v1 `output_format`: the stored image is encoded in it (default png) "
        "with its metadata, watermark and C2PA manifest; `url` and `b64_json` deliver it.",
    )
    output_compression: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        None,
        description="Not supported: jpeg and webp are encoded at the server's fixed quality; "
        "any value is a 400 naming `output_compression`.",
    )
    user: Annotated[str, StringConstraints(max_length=MAX_USER_CHARS)] | None = None
    quality: OpenAIQuality | None = None
    background: Literal["auto", "opaque", "transparent"] | None = None
    moderation: Literal["auto", "low"] | None = None
    style: Literal["vivid", "natural"] | None = None
    stream: bool | None = None
    partial_images: Annotated[int, Field(strict=True, ge=0, le=3)] | None = None
    # `input_fidelity` is left out of the model (and so of the OpenAPI schema): no value of it
    # is honoured, so it is refused as a parameter this server does not support


Options = TypeVar("Options", bound=ImageOptions)


class GenerationParams(ImageOptions):
    """`POST /v1/images/generations` (OpenAI's parameters; docs/openai-compatible.md)."""

    model_config = ConfigDict(title="OpenAIImageGenerationRequest")

    prompt: str = Field(description="What to generate; at most 1000 characters (moderated).")


def generation_call(data: dict[str, Any]) -> ImageCall:
    """Translate a `POST /v1/images/generations` JSON body, or raise naming the parameter."""
    params = parse_openai(GenerationParams, data)
    return image_call(params, {"prompt": params.prompt})


def parse_openai(model: type[Options], data: Any) -> Options:
    """Validate OpenAI parameters (a wrong value: `ValidationFailed` naming it, as on v1); a
    parameter this server does not know, OpenAI's or not, is `UnsupportedParameter` naming it."""
    if isinstance(data, dict):
        for name in data:
            if name not in model.model_fields:
                raise UnsupportedParameter(
                    name, f"`{name}` is not a parameter this server supports."
                )
    return parse_model(model, data)


def image_call(options: ImageOptions, body: dict[str, Any]) -> ImageCall:
    """The shared options onto a v1 body that already has its kind's own fields."""
    refuse_unsupported(options)
    choice = resolve_model(options.model)
    if choice is None:
        raise ValidationFailed(
            "model",
            f"model: '{options.model}' is not a model of this server; GET /v1/models lists them.",
        )
    quality = pick_quality(choice, options.quality)
    size = parse_size(options.size)
    v1_body = {**body, "style": choice.style.value, "quality": quality.value}
    if options.output_format is not None:
        v1_body["output_format"] = options.output_format  # the engine encodes and stamps it
    if options.n is not None:
        v1_body["n"] = options.n  # the planner holds it to the server's batch cap
    return ImageCall(
        body=v1_body,
        model=choice,
        size=size,
        response_format=options.response_format or "url",
        user=options.user,
    )


def refuse_unsupported(options: ImageOptions) -> None:
    """Values OpenAI offers that Limner does not: a clear 400 each, never silently ignored."""
    if options.background == "transparent":
        raise UnsupportedParameter(
            "background", "background: 'transparent' is not supported; images are opaque."
        )
    if options.style == "vivid":
        raise UnsupportedParameter(
            "style",
            "style: 'vivid' is not supported; choose a Limner style through `model` "
            "(GET /v1/models).",
        )
    if options.moderation == "low":
        raise UnsupportedParameter(
            "moderation",
            "moderation: 'low' is not supported; this server's moderation cannot be lowered.",
        )
    if options.stream:
        raise UnsupportedParameter("stream", "stream: streaming images is not supported.")
    if options.partial_images:
        raise UnsupportedParameter(
            "partial_images", "partial_images: partial images are not supported."
        )
    if options.output_compression is not None:
        # the engine encodes jpeg and webp at one server-wide quality, inside the stamping that
        # signs the C2PA manifest; a per-request quality would be accepted and not honoured
        raise UnsupportedParameter(
            "output_compression",
            f"output_compression: {options.output_compression} is not supported; jpeg and webp "
            "are encoded at this server's fixed quality. Omit output_compression.",
        )


def pick_quality(choice: ModelChoice, quality: str | None) -> Quality:
    """The Limner quality: a registry id fixes it, else OpenAI's value maps (default fast).
    A registry id with an explicit, different quality is refused rather than overridden."""
    if choice.quality is None:
        return QUALITY[quality or "auto"]
    if quality not in (None, "auto") and QUALITY[quality] is not choice.quality:
        raise ValidationFailed(
            "quality",
            f"quality: '{quality}' selects '{QUALITY[quality].value}', but model "
            f"'{choice.id}' is the '{choice.quality.value}' preset; omit quality or choose "
            f"model '{choice.style.value}'.",
        )
    return choice.quality


def parse_size(value: str | None) -> Size | None:
    """`WxH` (for example `1024x1024`) or `auto`/absent (None: the preset's own size)."""
    if value is None or value == "auto":
        return None
    match = _SIZE.match(value)
    if match is None:
        raise ValidationFailed(
            "size", f"size: must be 'auto' or WIDTHxHEIGHT such as '1024x1024', not '{value}'"
        )
    return Size(int(match.group(1)), int(match.group(2)))
