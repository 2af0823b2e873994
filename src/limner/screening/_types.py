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


@dataclass(frozen=True)
class Checks:
    """Which screens one job's output needs (see `checks_for`)."""

    #: the nudity detector (a job that took a user image, or an SFW-only key)
    nudity: bool = False
    #: the apparent-age check on every face (the adult style)
    apparent_age: bool = False

    @property
    def any(self) -> bool:
        return self.nudity or self.apparent_age


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
