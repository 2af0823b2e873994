"""The registry of job kinds. To add one: a module here with a `Kind` subclass, one line in
`KINDS`, and `supports(kind=...)` in the backends that can make it (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from limner.errors import ValidationFailed
from limner.generation.kinds.base import Kind, moderation_fields
from limner.generation.kinds.i2i import ImageToImage
from limner.generation.kinds.inpaint import Inpaint
from limner.generation.kinds.outpaint import Outpaint
from limner.generation.kinds.t2i import TextToImage

__all__ = ["DEFAULT_KIND", "KINDS", "Kind", "kind_named", "kind_of", "moderation_fields"]

#: every kind this server knows, by the wire value of `type`
KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (TextToImage(), ImageToImage(), Inpaint(), Outpaint())
}

DEFAULT_KIND = "t2i"


def kind_of(body: dict[str, Any]) -> Kind:
    """The kind a request body asks for: its `type`, `t2i` when absent (v1 clients)."""
    value = body.get("type", DEFAULT_KIND)
    if not isinstance(value, str) or value not in KINDS:
        names = ", ".join(f"'{name}'" for name in KINDS)
        raise ValidationFailed("type", f"type: must be one of {names}")
    return KINDS[value]


def kind_named(name: str) -> Kind:
    """The kind of a stored generation (`generations.type`)."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationFailed("type", f"type: this server has no kind '{name}'") from None
