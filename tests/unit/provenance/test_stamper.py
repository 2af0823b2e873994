from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from limner.errors import ConfigurationError, ValidationFailed
from limner.provenance import (
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    InvalidGenerationId,
    ProvenanceStamper,
    WatermarkNotReadable,
    _watermark,
    verify,
)
from limner.provenance._ids import id_to_bits

from ._images import GEN_ID, natural_image, reencode


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_stamp_then_verify_round_trips(stamper: ProvenanceStamper, fmt: str) -> None:
    data = stamper.stamp(natural_image(256, seed=1), generation_id=GEN_ID, fmt=fmt)
    assert Image.open(io.BytesIO(data)).format == fmt
    result = verify(data)
    assert result.ai_generated and result.from_limner and result.ids_agree
    assert (result.generator, result.generation_id, result.watermark_id) == (
        "Limner 9.9.9",
        GEN_ID,
        GEN_ID,
    )
    assert result.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert (result.placeholder, result.c2pa_valid, result.format) == (False, None, fmt)


def test_user_image_jobs_are_marked_composite(stamper: ProvenanceStamper) -> None:
    data = stamper.stamp(natural_image(128, seed=2), generation_id=GEN_ID, image_input=True)
    assert verify(data).digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA


def test_placeholder_images_say_so(stamper: ProvenanceStamper) -> None:
    image = Image.new("RGB", (64, 64), (90, 90, 200))
    assert verify(stamper.stamp(image, generation_id=GEN_ID, placeholder=True)).placeholder


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_metadata_stripped_image_still_verifies_by_watermark(
    stamper: ProvenanceStamper, fmt: str
) -> None:
    data = stamper.stamp(natural_image(256, seed=3), generation_id=GEN_ID, fmt=fmt)
    result = verify(reencode(data, "PNG"))
    assert (result.generator, result.generation_id, result.digital_source_type) == (None,) * 3
    assert result.watermark_id == GEN_ID
    assert result.ai_generated and result.from_limner and result.ids_agree is None


def test_alpha_is_kept_in_png(stamper: ProvenanceStamper) -> None:
    image = natural_image(128, seed=4).convert("RGBA")
    image.putalpha(200)
    data = stamper.stamp(image, generation_id=GEN_ID)
    out = Image.open(io.BytesIO(data))
    assert out.mode == "RGBA" and out.getchannel("A").getextrema() == (200, 200)
    assert verify(data).watermark_id == GEN_ID


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)),
        Image.new("RGB", (256, 256), (40, 160, 90)),
        natural_image(256, seed=11),
    ],
)
def test_unmarked_images_are_not_from_limner(image: Image.Image) -> None:
    out = io.BytesIO()
    image.save(out, "PNG")
    result = verify(out.getvalue())
    assert not result.ai_generated and not result.from_limner
    assert (result.watermark_id, result.generation_id, result.generator) == (None, None, None)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_stamp_refuses_to_release_when_the_mark_does_not_read_back(
    stamper: ProvenanceStamper, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # the reader's decision, whether made on the embedded pixels (PNG) or on decoded bytes
    monkeypatch.setattr(_watermark, "_decide", lambda *a, **k: _watermark.Reading(None, 0.5))
    with pytest.raises(WatermarkNotReadable):
        stamper.stamp(natural_image(64, seed=5), generation_id=GEN_ID, fmt=fmt)


def test_the_embedded_reading_is_what_the_released_png_reads() -> None:
    """The proof that replaces the PNG read-back: the reading `embed_checked` returns is the one
    `read` makes on the decoded file, projection for projection."""
    for seed in range(4):
        rgb = np.asarray(natural_image(96 + 32 * seed, seed=seed).convert("RGB"))
        marked, reading = _watermark.embed_checked(rgb, id_to_bits(GEN_ID))
        out = io.BytesIO()
        Image.fromarray(marked).save(out, "PNG", compress_level=1)
        decoded = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
        assert reading == _watermark.read(decoded)
        assert reading.generation_id == GEN_ID


def test_bad_arguments_fail_loudly(stamper: ProvenanceStamper) -> None:
    image = Image.new("RGB", (64, 64))
    with pytest.raises(InvalidGenerationId):
        stamper.stamp(image, generation_id="gen_NOPE")
    with pytest.raises(ValidationFailed, match="fmt"):
        stamper.stamp(image, generation_id=GEN_ID, fmt="GIF")
    with pytest.raises(ValidationFailed, match="image"):
        verify(b"not an image")
    with pytest.raises(ConfigurationError, match="key_dir"):
        ProvenanceStamper(generator="Limner 1", c2pa=True)


def test_palette_images_with_transparency_verify_without_warnings(
    stamper: ProvenanceStamper,
) -> None:
    data = stamper.stamp(natural_image(128, seed=6), generation_id=GEN_ID)
    palette = Image.open(io.BytesIO(data)).convert("RGB").quantize(256)
    palette.info["transparency"] = 0
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=0)
    assert verify(out.getvalue()).watermark_id in (GEN_ID, None)  # quantising may erase it
