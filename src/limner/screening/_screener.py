"""`ModelScreener`: a nudity detector and an age estimator behind one `ImageScreener`."""

from __future__ import annotations

from PIL import Image

from limner.errors import ConfigurationError
from limner.screening._types import AgeEstimator, Checks, NudityDetector, ScreeningResult

ALL_CHECKS = Checks(nudity=True, apparent_age=True, minor_nudity=True)


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
        if checks.runs_nudity:
            _ready("nudity detector", self.nudity.name, self.nudity.check_ready)
        if checks.may_run_ages:
            _ready("age estimator", self.ages.name, self.ages.check_ready)

    def screen(self, image: Image.Image, checks: Checks) -> ScreeningResult:
        self.check_ready(checks)
        rgb = image.convert("RGB")
        score = self.nudity.nudity_score(rgb) if checks.runs_nudity else 0.0
        nude = checks.runs_nudity and score >= self.nudity_threshold
        # the cascade: the costly face and age models run only on an output with nudity
        # (or on every adult-style output, where they always ran)
        ages = checks.apparent_age or (checks.minor_nudity and nude)
        faces = tuple(self.ages.faces(rgb)) if ages else ()
        return ScreeningResult(nudity=nude, nudity_score=score, faces=faces, ages_checked=ages)

    def describe(self) -> dict[str, str]:
        return {"nudity": self.nudity.name, "apparent_age": self.ages.name}


def _ready(role: str, name: str, probe: object) -> None:
    try:
        probe()  # type: ignore[operator]
    except ConfigurationError:
        raise
    except Exception as exc:  # any failure to load is a configuration problem, reported once
        raise ConfigurationError(f"the screening {role} {name!r} cannot load: {exc}") from exc
