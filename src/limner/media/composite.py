"""Compositing a model's output back into the input: what makes inpaint and outpaint exact.

A model repaints the whole canvas (at its own size grid); users expect every pixel outside the
mask to stay as it was. So the result is brought back to the canvas size and blended through the
mask: outside the mask the input's pixels are copied exactly, and the blend ramps up over a few
pixels just *inside* the mask (a feathered seam), so the seam never touches a kept pixel.

Outpaint is an inpaint on a larger canvas: `expand_canvas` places the input at its offset, fills
the new border from the input's edge pixels (a start the model can continue) and masks that
border for repainting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["FEATHER_PX", "Expand", "composite", "expand_canvas", "feathered_alpha"]

#: width of the seam inside the mask, in pixels of the input
FEATHER_PX = 4


@dataclass(frozen=True)
class Expand:
    """How many pixels an outpaint adds on each side."""

    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0

    def canvas_size(self, size: tuple[int, int]) -> tuple[int, int]:
        width, height = size
        return width + self.left + self.right, height + self.top + self.bottom


def feathered_alpha(mask: Image.Image, feather_px: int = FEATHER_PX) -> np.ndarray:
    """The blend weight of the repainted result, shape (height, width), in [0, 1].

    `mask` is an "L" picture, 255 where repainted. The weight is exactly 0 outside the mask and
    rises over `feather_px` pixels from the mask's edge inward (the chessboard distance to the
    nearest kept pixel, divided by `feather_px`, capped at 1).
    """
    binary = mask.point(lambda level: 255 if level >= 128 else 0)
    total = np.zeros((mask.height, mask.width), dtype=np.float32)
    eroded = binary
    for _ in range(max(1, feather_px)):
        total += np.asarray(eroded, dtype=np.float32) / 255.0
        # one pixel deeper into the mask; the frame's edge counts as inside (no kept pixel there)
        eroded = eroded.filter(ImageFilter.MinFilter(3))
    return total / max(1, feather_px)


def composite(
    original: Image.Image, made: Image.Image, mask: Image.Image, *, feather_px: int = FEATHER_PX
) -> Image.Image:
    """`made` (any size) resized to `original` and blended into it through `mask` ("L", the
    size of `original`, 255 = repaint): pixels outside the mask are `original`'s, unchanged."""
    base = original.convert("RGB")
    if made.size != base.size:
        made = made.convert("RGB").resize(base.size, Image.Resampling.LANCZOS)
    alpha = feathered_alpha(mask, feather_px)[..., None]
    kept = np.asarray(base, dtype=np.float32)
    painted = np.asarray(made.convert("RGB"), dtype=np.float32)
    blended = kept * (1.0 - alpha) + painted * alpha
    out = np.where(alpha > 0, np.rint(blended), kept).clip(0, 255).astype(np.uint8)
    return Image.fromarray(out, "RGB")


def expand_canvas(image: Image.Image, expand: Expand) -> tuple[Image.Image, Image.Image]:
    """The outpaint canvas (the input at (left, top), the border filled from its edge pixels)
    and its mask ("L": 255 on the new border, 0 on the input's rectangle)."""
    pixels = np.asarray(image.convert("RGB"))
    padded = np.pad(
        pixels, ((expand.top, expand.bottom), (expand.left, expand.right), (0, 0)), mode="edge"
    )
    canvas = Image.fromarray(padded, "RGB")
    mask = np.full(padded.shape[:2], 255, dtype=np.uint8)
    mask[expand.top : expand.top + image.height, expand.left : expand.left + image.width] = 0
    return canvas, Image.fromarray(mask, "L")
