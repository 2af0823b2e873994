"""Stand-in screening models, plugged in exactly as an operator's own: `module:factory` settings.

They decide without looking, so the refusal paths can be tested without a picture that would have
to show what they refuse. The real models are tested on real photographs in tests/unit/screening.
"""

from __future__ import annotations

from PIL import Image

from limner.config import Settings
from limner.screening import FaceAge

MODULE = "tests.support.screening"


class FixedNudity:
    def __init__(self, score: float) -> None:
        self.name = f"fixed-nudity-{score}"
        self.score = score
        self.calls = 0

    def check_ready(self) -> None:
        return None

    def nudity_score(self, image: Image.Image) -> float:
        self.calls += 1
        return self.score


class FixedAges:
    def __init__(self, *ages: float) -> None:
        self.name = "fixed-ages"
        self.ages = ages

    def check_ready(self) -> None:
        return None

    def faces(self, image: Image.Image) -> list[FaceAge]:
        return [FaceAge(box=(10, 10, 60, 60), apparent_age=age) for age in self.ages]


def flags_nudity(_settings: Settings) -> FixedNudity:
    return FixedNudity(0.99)


def finds_a_face_aged_12(_settings: Settings) -> FixedAges:
    return FixedAges(35.0, 12.0)


def finds_a_face_aged_30(_settings: Settings) -> FixedAges:
    return FixedAges(30.0)


def cannot_load(_settings: Settings) -> FixedNudity:
    raise RuntimeError("model file is missing")


class _BreaksWhileRunning(FixedNudity):
    def nudity_score(self, image: Image.Image) -> float:
        raise RuntimeError("inference crashed")


def breaks_while_running(_settings: Settings) -> FixedNudity:
    return _BreaksWhileRunning(0.0)


class _FlagsLargePictures(FixedNudity):
    """Flags pictures of 512 px and more: the placeholder's outputs, never the small inputs the
    tests send, so an output refusal can be told from an input refusal without looking."""

    def nudity_score(self, image: Image.Image) -> float:
        self.calls += 1
        return self.score if max(image.size) >= 512 else 0.0


def flags_outputs_only(_settings: Settings) -> FixedNudity:
    return _FlagsLargePictures(0.99)
