"""A request's input pictures: which fields name them, and how a reference becomes a picture.

A kind lists its picture fields (`PictureRef`: the field and the reference the client sent); the
planner resolves each through the `ImageResolver` it is given (wiring gives it
`media.refs.MediaResolver`: uploads, the key's own `gen_` outputs, data URLs, https through the
SSRF guard) and admits it (`generation.admission`) before any model sees it. The result keeps
the picture's origin (`InputImage`), so safety rules and provenance can judge where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from limner.generation.accounts import AccountRef
from limner.media.refs import InputImage

__all__ = ["ImageResolver", "KindInput", "PictureRef"]


@dataclass(frozen=True)
class PictureRef:
    """One picture field of a request, as sent: `image` -> `upl_...`."""

    field: str
    reference: str


@dataclass(frozen=True)
class KindInput:
    """One resolved (and, in `plan()`, admitted) input picture and the field that named it."""

    field: str
    picture: InputImage


class ImageResolver(Protocol):
    def resolve(self, reference: str, *, field: str, account: AccountRef) -> InputImage:
        """The picture `reference` names with its origin, or `ValidationFailed` on `field`
        (worded the same whether it is unknown, another key's, or not a picture)."""
        ...
