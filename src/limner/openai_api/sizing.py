"""The size an OpenAI client asks for, made within the preset's pixels.

OpenAI clients send their own models' sizes by default (`dall-e-2`/`dall-e-3` 1024x1024,
`gpt-image-1` 1024x1536 or 1536x1024), more pixels than the fast presets make (512x512). A size
within the preset's pixels is made as asked. A larger one is made at the largest size on the
models' 8-pixel grid within the preset's pixels, in the asked proportions, and resized up
(Lanczos) to the asked size before it is screened, stamped and stored: the client gets the size
it asked for at the price of one image, and the generation records both sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from limner.domain.requests import MAX_SIDE, MIN_SIDE, SIZE_GRID
from limner.errors import ValidationFailed
from limner.openai_api.params import Size

__all__ = ["SizePlan", "plan_size"]


@dataclass(frozen=True)
class SizePlan:
    #: what the model makes
    made: Size
    #: what the client gets (the asked size); equal to `made` when nothing is resized
    delivered: Size

    @property
    def resized(self) -> bool:
        return self.made != self.delivered


def plan_size(asked: Size, native: tuple[int, int]) -> SizePlan:
    """Where `asked` fits the preset's pixels, it is made as asked; else at the largest grid
    size in its proportions that fits, to be resized up. Raises naming `size` for a size off
    the grid or outside the sides the v1 contract allows."""
    for side in (asked.width, asked.height):
        if side % SIZE_GRID or not MIN_SIDE <= side <= MAX_SIDE:
            raise ValidationFailed(
                "size",
                f"size: each side must be a multiple of {SIZE_GRID} from {MIN_SIDE} to "
                f"{MAX_SIDE} pixels, not '{asked}'",
            )
    pixels = native[0] * native[1]
    if asked.width * asked.height <= pixels:
        return SizePlan(made=asked, delivered=asked)
    return SizePlan(made=_fitted(asked, pixels), delivered=asked)


def _fitted(asked: Size, pixels: int) -> Size:
    """The grid size within `pixels` closest to `asked`'s proportions (to 1%), largest first."""
    aspect = asked.width / asked.height
    best: tuple[tuple[float, int], Size] | None = None
    for height in range(SIZE_GRID, asked.height + 1, SIZE_GRID):
        width = max(SIZE_GRID, round(height * aspect / SIZE_GRID) * SIZE_GRID)
        if width * height > pixels:
            continue
        key = (round(abs(width / height - aspect) / aspect, 2), -width * height)
        if best is None or key < best[0]:
            best = (key, Size(width, height))
    assert best is not None  # SIZE_GRID x SIZE_GRID always fits a preset
    return best[1]
