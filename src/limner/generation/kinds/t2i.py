"""`t2i`: text to image, the v1 contract's one kind (a request without `type` is this)."""

from __future__ import annotations

from limner.generation.kinds.base import Kind


class TextToImage(Kind):
    name = "t2i"
    capability = "t2i"
