"""The registry of job kinds. To add one: a module here with a `Kind` subclass, one line in
`build_kinds`, and `supports(kind=...)` in the backends that can make it
(docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from limner.errors import ValidationFailed
from limner.generation.kinds.base import Kind, moderation_fields
from limner.generation.kinds.i2i import ImageToImage
from limner.generation.kinds.i2v import ImageToVideo
from limner.generation.kinds.inpaint import Inpaint
from limner.generation.kinds.outpaint import Outpaint
from limner.generation.kinds.t2i import TextToImage
from limner.generation.kinds.t2v import TextToVideo
from limner.generation.kinds.video import VideoTerms

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "Kind",
    "VideoTerms",
    "build_kinds",
    "kind_named",
    "kind_of",
    "moderation_fields",
]

DEFAULT_KIND = "t2i"


def build_kinds(video: VideoTerms | None = None) -> dict[str, Kind]:
    """Every kind this server knows, by the wire value of `type`; `video` holds the operator's
    video prices and caps (settings), the defaults of the studio spec without it."""
    kinds: tuple[Kind, ...] = (
        TextToImage(),
        ImageToImage(),
        Inpaint(),
        Outpaint(),
        TextToVideo(video),
        ImageToVideo(video),
    )
    return {kind.name: kind for kind in kinds}


#: the kinds with the default terms (the OpenAPI schema, code that needs no settings)
KINDS: dict[str, Kind] = build_kinds()


def kind_of(body: dict[str, Any], kinds: Mapping[str, Kind] = KINDS) -> Kind:
    """The kind a request body asks for: its `type`, `t2i` when absent (v1 clients)."""
    value = body.get("type", DEFAULT_KIND)
    if not isinstance(value, str) or value not in kinds:
        names = ", ".join(f"'{name}'" for name in kinds)
        raise ValidationFailed("type", f"type: must be one of {names}")
    return kinds[value]


def kind_named(name: str, kinds: Mapping[str, Kind] = KINDS) -> Kind:
    """The kind of a stored generation (`generations.type`)."""
    try:
        return kinds[name]
    except KeyError:
        raise ValidationFailed("type", f"type: this server has no kind '{name}'") from None
