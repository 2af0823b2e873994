"""Masks: which pixels an inpaint repaints, read from a picture by the studio spec's two rules.

- A picture with an alpha channel: transparent pixels (alpha below 128) are repainted and the
  colour is ignored (the OpenAI convention).
- Without alpha: pixels whose grey level is 128 or above are repainted (white means "paint here",
  as diffusers inpainting pipelines expect).

A mask of any size is resized to the image first (nearest neighbour, so no new grey levels appear
at the edges and the rule stays exact).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: the grey level (and alpha level) at which the rules flip
THRESHOLD = 128


def has_alpha(picture: Image.Image) -> bool:
    return "A" in picture.getbands() or (picture.mode == "P" and "transparency" in picture.info)


def repaint_mask(picture: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """A boolean array of shape (height, width): True where the pixel is repainted."""
    if has_alpha(picture):
        channel = picture.convert("RGBA").getchannel("A")
        repaint_when_at_least = False  # transparent (low alpha) is repainted
    else:
        channel = picture.convert("L")
        repaint_when_at_least = True
    if channel.size != size:
        channel = channel.resize(size, Image.Resampling.NEAREST)
    levels = np.asarray(channel)
    return levels >= THRESHOLD if repaint_when_at_least else levels < THRESHOLD


def mask_image(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The same mask as an "L" picture: 255 where repainted, 0 elsewhere (what diffusers'
    inpainting pipelines take as `mask_image`)."""
    repaint = repaint_mask(picture, size)
    return Image.fromarray(np.where(repaint, 255, 0).astype(np.uint8), "L")
