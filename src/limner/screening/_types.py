"""What screening returns and the interfaces a detector implements.

A `NudityDetector` scores an image; an `AgeEstimator` finds faces and estimates each one's apparent
age. `ImageScreener` runs whichever of the two a job needs (`Checks`) and reports a
`ScreeningResult`; the policy that turns a result into a refusal is `limner.screening._policy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image


@dataclass(frozen=True)
class FaceAge:
    """One detected face: its box (left, top, right, bottom, pixels) and estimated apparent age."""

    box: tuple[int, int, int, int]
    apparent_age: float


@dataclass(frozen=True)
class ScreeningResult:
    #: the detector's verdict at the configured threshold (False when nudity was not checked)
    nudity: bool = False
    #: the detector's score in [0, 1] (0.0 when nudity was not checked)
    nudity_score: float = 0.0
    #: every detected face with its apparent age (empty when ages were not checked)
    faces: tuple[FaceAge, ...] = ()
    #: whether the age estimator ran (the adult style, or the cascade found nudity)
    ages_checked: bool = False


@dataclass(frozen=True)
class Checks:
    """Which screens one job's output needs (see `checks_for`)."""

    #: nudity alone refuses (a job that took a user image, or an SFW-only key)
    nudity: bool = False
    #: the apparent-age check on every face, nudity or not (the adult style)
    apparent_age: bool = False
    #: the cascade every output of every style gets: the nudity detector runs, and when it finds
    #: nudity the age estimator runs; nudity with an apparent-minor face refuses
    minor_nudity: bool = False

    @property
    def runs_nudity(self) -> bool:
        """Whether the nudity detector runs at all."""
        return self.nudity or self.minor_nudity

    @property
    def may_run_ages(self) -> bool:
        """Whether the age estimator may be needed (so it must be ready before the job runs)."""
        return self.apparent_age or self.minor_nudity

    @property
    def any(self) -> bool:
        return self.runs_nudity or self.apparent_age


class NudityDetector(Protocol):
    #: a short name for logs, /readyz and the benchmark
    name: str

    def check_ready(self) -> None:
        """Load the model now; raise `ConfigurationError` if it cannot be loaded."""

    def nudity_score(self, image: Image.Image) -> float:
        """The probability-like score in [0, 1] that the image shows nudity."""
        ...


class AgeEstimator(Protocol):
    name: str

    def check_ready(self) -> None:
        """Load the model now; raise `ConfigurationError` if it cannot be loaded."""

    def faces(self, image: Image.Image) -> list[FaceAge]:
        """Every face found in the image, with its estimated apparent age in years."""
        ...


class ImageScreener(Protocol):
    def check_ready(self, checks: Checks | None = None) -> None:
        """Raise `ConfigurationError` if a model that `checks` need (default: all) cannot load."""

    def screen(self, image: Image.Image, checks: Checks) -> ScreeningResult:
        """Run the screens `checks` asks for on one finished output."""
        ...
