"""What the OpenAI surface makes for a size: as asked within the preset's pixels, else smaller in
the asked proportions (to be resized up)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from limner.errors import ValidationFailed
from limner.openai_api.params import Size
from limner.openai_api.sizing import plan_size

FAST = (512, 512)


@pytest.mark.parametrize(
    ("asked", "made"),
    [
        (Size(1024, 1024), Size(512, 512)),
        (Size(1024, 1536), Size(416, 624)),
        (Size(1536, 1024), Size(624, 416)),
        (Size(1792, 1024), Size(672, 384)),
        (Size(768, 512), Size(624, 416)),
        (Size(640, 384), Size(640, 384)),  # within the pixels: made as asked
    ],
)
def test_made_size(asked: Size, made: Size) -> None:
    sizes = plan_size(asked, FAST)
    assert (sizes.made, sizes.delivered) == (made, asked)
    assert sizes.resized is (made != asked)


@given(st.integers(4, 512), st.integers(4, 512))
def test_made_within_the_pixels_on_the_grid(width: int, height: int) -> None:
    made = plan_size(Size(width * 8, height * 8), FAST).made
    assert made.width * made.height <= FAST[0] * FAST[1]
    assert made.width % 8 == 0 and made.height % 8 == 0
    assert made.width <= width * 8 and made.height <= height * 8


@pytest.mark.parametrize("asked", [Size(1020, 1020), Size(8, 512), Size(8192, 512)])
def test_off_grid_or_out_of_bounds_names_size(asked: Size) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_size(asked, FAST)
    assert refused.value.field == "size"
