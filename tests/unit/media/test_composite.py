"""Compositing through a mask: kept pixels are exact, the seam lies inside the mask, and the
outpaint canvas holds the input at its offset."""

from __future__ import annotations

import numpy as np
from PIL import Image

from limner.media.composite import FEATHER_PX, Expand, composite, expand_canvas, feathered_alpha


def square_mask(size: tuple[int, int] = (40, 30), box: tuple[int, int, int, int] = (10, 8, 30, 22)):
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return mask


def test_the_weight_is_zero_outside_and_ramps_up_inside_the_mask() -> None:
    mask = square_mask()
    alpha = feathered_alpha(mask)
    inside = np.asarray(mask) >= 128
    assert (alpha[~inside] == 0).all()
    assert alpha[inside].min() > 0  # every repainted pixel gets some of the result
    assert alpha[8, 10] == 1 / FEATHER_PX  # the mask's corner: the first ring of the seam
    assert alpha[15, 20] == 1.0  # deep inside: all result


def test_kept_pixels_are_copied_exactly_whatever_size_the_result() -> None:
    rng = np.random.default_rng(0)
    original = Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8))
    made = Image.new("RGB", (64, 48), (255, 0, 0))  # the model's grid size
    mask = square_mask()
    out = np.asarray(composite(original, made, mask))
    kept = np.asarray(mask) < 128
    assert out.shape == (30, 40, 3)
    assert np.array_equal(out[kept], np.asarray(original)[kept])
    assert (out[15, 20] == (255, 0, 0)).all()


def test_grey_levels_follow_the_threshold() -> None:
    mask = Image.new("L", (8, 8), 127)
    mask.paste(128, (0, 0, 4, 8))
    alpha = feathered_alpha(mask, feather_px=1)
    assert (alpha[:, :4] == 1).all() and (alpha[:, 4:] == 0).all()


def test_the_outpaint_canvas_holds_the_input_at_its_offset() -> None:
    rng = np.random.default_rng(1)
    source = Image.fromarray(rng.integers(0, 255, (10, 20, 3), dtype=np.uint8))
    expand = Expand(left=3, right=1, top=2, bottom=4)
    canvas, mask = expand_canvas(source, expand)
    assert canvas.size == expand.canvas_size(source.size) == (24, 16)
    pixels, border = np.asarray(canvas), np.asarray(mask)
    assert np.array_equal(pixels[2:12, 3:23], np.asarray(source))
    assert (border[2:12, 3:23] == 0).all() and border.sum() == 255 * (24 * 16 - 200)
    assert np.array_equal(pixels[0, 3:23], np.asarray(source)[0])  # the edge, extended
