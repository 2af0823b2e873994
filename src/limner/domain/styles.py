"""The contract's enumerations and what each value costs and means."""

from __future__ import annotations

from enum import StrEnum


class Quality(StrEnum):
    fast = "fast"
    hires = "hires"


class Style(StrEnum):
    realistic = "realistic"
    anime = "anime"
    #: the adult style: selfie mode with appearance traits and caption overlays
    nude = "nude"


class Gender(StrEnum):
    female = "female"
    male = "male"
    trans = "trans"


class CaptionPosition(StrEnum):
    top = "top"
    # shadows str.center on purpose: the contract names this value "center"
    center = "center"  # type: ignore[assignment]
    bottom = "bottom"


CREDITS_PER_IMAGE: dict[Quality, int] = {Quality.fast: 1, Quality.hires: 2}


def credit_cost(quality: Quality, images: int = 1) -> int:
    """What a request costs when every image succeeds (the contract: fast 1, hires 2)."""
    return CREDITS_PER_IMAGE[quality] * images


def is_adult_style(style: Style) -> bool:
    return style is Style.nude
