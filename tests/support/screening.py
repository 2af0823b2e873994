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


def finds_no_nudity(_settings: Settings) -> FixedNudity:
    return FixedNudity(0.0)


class _FailsIfAsked(FixedAges):
    """Ready, but fails if it is ever asked for faces: a job that runs it is refused with 503,
    so an accepted job shows that the age model did not run (the cascade skipped it)."""

    def faces(self, image: Image.Image) -> list[FaceAge]:
        raise RuntimeError("the age model was asked")


def fails_if_asked(_settings: Settings) -> FixedAges:
    return _FailsIfAsked()


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


class _FlagsAllButFlatPictures(FixedNudity):
    """Flags every picture but those of one flat colour: the tests' inputs are flat, the
    placeholder's outputs never are, so an output refusal can be told from an input one."""

    def nudity_score(self, image: Image.Image) -> float:
        self.calls += 1
        flat = all(low == high for low, high in image.convert("RGB").getextrema())
        return 0.0 if flat else self.score


def flags_outputs_only(_settings: Settings) -> FixedNudity:
    return _FlagsAllButFlatPictures(0.99)


class _DiesOnce(FixedNudity):
    """Ends its whole process on the first picture it is given (a crashed screening worker),
    then, in the process that replaces it, finds nothing. `marker` remembers the first time."""

    def __init__(self, marker: str) -> None:
        super().__init__(0.0)
        self.marker = marker

    def nudity_score(self, image: Image.Image) -> float:
        import os
        from pathlib import Path

        if not Path(self.marker).exists():
            Path(self.marker).write_text("died")
            os._exit(1)
        return self.score


def dies_once(settings: Settings) -> FixedNudity:
    return _DiesOnce(str(settings.data_dir / "screening-worker-died"))


def finds_nothing(_settings: Settings) -> FixedNudity:
    return FixedNudity(0.0)
