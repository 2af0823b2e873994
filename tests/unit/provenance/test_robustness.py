"""What the watermark survives (asserted) and what it does not (recorded, see docs/provenance.md).

Images are synthetic with a photograph-like 1/f spectrum; bench/bench_provenance.py measures
survival rates over many more of them.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from limner.provenance import ProvenanceStamper, verify

from ._images import GEN_ID, natural_image, reencode, resized

SURVIVES = {
    "png-resave": lambda d: reencode(d, "PNG"),
    "jpeg-q85": lambda d: reencode(d, "JPEG", quality=85),
    "jpeg-q70": lambda d: reencode(d, "JPEG", quality=70),
    "resize-0.75": lambda d: resized(d, 0.75),
    "resize-0.5": lambda d: resized(d, 0.5),
    "resize-0.75-then-jpeg-q85": lambda d: reencode(resized(d, 0.75), "JPEG", quality=85),
}


def _crop(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.crop((0, 0, image.width * 3 // 4, image.height)).save(out, "PNG")
    return out.getvalue()


def _flip(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("size", [256, 512])
@pytest.mark.parametrize("name", list(SURVIVES))
def test_watermark_survives(stamper: ProvenanceStamper, size: int, name: str) -> None:
    data = stamper.stamp(natural_image(size, seed=size), generation_id=GEN_ID, fmt="PNG")
    assert verify(SURVIVES[name](data)).watermark_id == GEN_ID


@pytest.mark.parametrize("size", [64, 128])
def test_small_images_survive_resave_and_jpeg(stamper: ProvenanceStamper, size: int) -> None:
    data = stamper.stamp(natural_image(size, seed=size), generation_id=GEN_ID)
    assert verify(reencode(data, "PNG")).watermark_id == GEN_ID
    assert verify(reencode(data, "JPEG", quality=90)).watermark_id == GEN_ID


@pytest.mark.parametrize(
    "attack",
    [_crop, _flip, lambda d: resized(d, 0.75)],
    ids=["crop-0.75", "mirror", "resize-0.75-of-64px"],
)
def test_what_does_not_survive_reads_as_no_mark_never_a_wrong_id(
    stamper: ProvenanceStamper, attack: object
) -> None:
    size = 64 if getattr(attack, "__name__", "") == "<lambda>" else 256
    data = stamper.stamp(natural_image(size, seed=7), generation_id=GEN_ID)
    assert verify(attack(data)).watermark_id is None  # type: ignore[operator]
