"""`ModelScreener`: a nudity detector and an age estimator behind one `ImageScreener`."""

from __future__ import annotations

from PIL import Image

from limner.errors import ConfigurationError
from limner.screening._types import AgeEstimator, Checks, NudityDetector, ScreeningResult

ALL_CHECKS = Checks(nudity=True, apparent_age=True)


class ModelScreener:
    """Runs the detectors a job needs. A detector that cannot load raises `ConfigurationError`."""

    def __init__(
        self, *, nudity: NudityDetector, ages: AgeEstimator, nudity_threshold: float
    ) -> None:
        self.nudity = nudity
        self.ages = ages
        self.nudity_threshold = nudity_threshold

    def check_ready(self, checks: Checks | None = None) -> None:
        checks = checks or ALL_CHECKS
        if checks.nudity:
            _ready("nudity detector", self.nudity.name, self.nudity.check_ready)
        if checks.apparent_age:
            _ready("age estimator", self.ages.name, self.ages.check_ready)

    def screen(self, image: Image.Image, checks: Checks) -> ScreeningResult:
        self.check_ready(checks)
        rgb = image.convert("RGB")
        score = self.nudity.nudity_score(rgb) if checks.nudity else 0.0
        faces = tuple(self.ages.faces(rgb)) if checks.apparent_age else ()
        return ScreeningResult(
            nudity=checks.nudity and score >= self.nudity_threshold,
            nudity_score=score,
            faces=faces,
        )

    def describe(self) -> dict[str, str]:
        return {"nudity": self.nudity.name, "apparent_age": self.ages.name}


def _ready(role: str, name: str, probe: object) -> None:
    try:
        probe()  # type: ignore[operator]
    except ConfigurationError:
        raise
    except Exception as exc:  # any failure to load is a configuration problem, reported once
        raise ConfigurationError(f"the screening {role} {name!r} cannot load: {exc}") from exc
