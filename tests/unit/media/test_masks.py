"""The spec's mask rules: grey >= 128 repaints without alpha; transparent repaints with alpha."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from limner.media import mask_image, repaint_mask


def test_without_alpha_grey_128_and_above_is_repainted() -> None:
    levels = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    picture = Image.fromarray(levels, "L")
    assert repaint_mask(picture, (4, 1)).tolist() == [[False, False, True, True]]


def test_colour_pictures_are_judged_by_their_grey_level() -> None:
    picture = Image.new("RGB", (2, 1))
    picture.putpixel((0, 0), (255, 255, 255))
    picture.putpixel((1, 0), (0, 0, 255))  # pure blue is dark grey (29)
    assert repaint_mask(picture, (2, 1)).tolist() == [[True, False]]


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_with_alpha_transparent_is_repainted_and_colour_ignored(mode: str) -> None:
    picture = Image.new(mode, (3, 1))
    opaque_black = (0, 0, 0, 255) if mode == "RGBA" else (0, 255)
    clear_black = (0, 0, 0, 0) if mode == "RGBA" else (0, 0)
    clear_white = (255, 255, 255, 0) if mode == "RGBA" else (255, 0)
    for x, value in enumerate((opaque_black, clear_black, clear_white)):
        picture.putpixel((x, 0), value)
    assert repaint_mask(picture, (3, 1)).tolist() == [[False, True, True]]


def test_a_palette_picture_with_a_transparent_index_counts_as_alpha() -> None:
    picture = Image.new("P", (2, 1))
    picture.putpalette([255, 255, 255, 0, 0, 0])
    picture.putpixel((0, 0), 0)
    picture.putpixel((1, 0), 1)
    picture.info["transparency"] = 0  # white is the transparent index
    assert repaint_mask(picture, (2, 1)).tolist() == [[True, False]]


def test_a_mask_of_another_size_is_resized_without_new_grey_levels() -> None:
    picture = Image.new("L", (2, 2), 0)
    picture.putpixel((1, 0), 200)  # the top-right quarter is repainted
    mask = mask_image(picture, (64, 32))
    assert mask.mode == "L" and mask.size == (64, 32)
    values = np.asarray(mask)
    assert set(np.unique(values).tolist()) == {0, 255}
    assert values[:16, 32:].all() and not values[16:, :].any() and not values[:16, :32].any()
