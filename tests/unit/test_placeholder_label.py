"""The placeholder's label and the caption bar never overlap, at any caption position."""

from __future__ import annotations

import numpy as np
import pytest

from limner.backends.base import GenerationSpec
from limner.backends.placeholder import SIZES, label_box, render_placeholder
from limner.domain.styles import CaptionPosition, Quality, Style
from limner.imaging.caption import caption_box

LONG_CAPTION = "a caption long enough to wrap onto three lines of the bar " * 3


def spec(quality: Quality, style: Style = Style.nude) -> GenerationSpec:
    return GenerationSpec(
        generation_id="gen_label",
        prompt="a beach at noon",
        style=style,
        quality=quality,
        seed=4294967295,
    )


@pytest.mark.parametrize("quality", list(Quality))
@pytest.mark.parametrize("position", list(CaptionPosition))
@pytest.mark.parametrize("text", ["hi", "golden hour hits different", LONG_CAPTION])
def test_caption_bar_and_label_do_not_overlap(
    quality: Quality, position: CaptionPosition, text: str
) -> None:
    size = SIZES[quality]
    _, bar_top, _, bar_bottom = caption_box(size, text, position)
    _, label_top, _, label_bottom = label_box(size)
    assert bar_bottom < label_top or bar_top > label_bottom


@pytest.mark.parametrize("quality", list(Quality))
@pytest.mark.parametrize("style", list(Style))
def test_the_label_inks_only_inside_its_strip(quality: Quality, style: Style) -> None:
    image = render_placeholder(spec(quality, style))
    pixels = np.asarray(image)
    white = (pixels > 225).all(axis=2)  # the label's fill; the shapes are translucent
    rows = np.nonzero(white.any(axis=1))[0]
    cols = np.nonzero(white.any(axis=0))[0]
    assert rows.size, "the label is drawn"
    _, top, right, bottom = label_box(image.size)
    assert rows.min() >= top and rows.max() < bottom
    assert cols.min() > 0 and cols.max() < right - 1  # it fits the width
