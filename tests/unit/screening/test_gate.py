"""The gate fails closed, the factory finds models by name or import path, settings only tighten."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image
from pydantic import ValidationError

from limner.config import Settings
from limner.errors import ConfigurationError, ScreeningUnavailable
from limner.screening import (
    RULE_MINOR_AGE,
    RULE_NUDITY,
    Checks,
    ModelScreener,
    ScreeningGate,
    build_screener,
)
from tests.support.screening import MODULE, FixedAges, FixedNudity

IMAGE = Image.new("RGB", (64, 64), (90, 90, 90))


def gate(**overrides: object) -> ScreeningGate:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    return ScreeningGate(
        build_screener(settings), min_apparent_age=settings.screening_min_apparent_age
    )


def test_a_detector_that_cannot_load_refuses_the_jobs_that_need_it() -> None:
    screening = gate(screening_nudity_detector=f"{MODULE}:cannot_load")
    with pytest.raises(ScreeningUnavailable):
        screening.require(Checks(nudity=True))
    with pytest.raises(ConfigurationError, match="cannot load"):
        screening.check_ready()
    assert screening.report_at_start() is False
    screening.require(Checks())  # a job that needs no screening is not held up


def test_an_unimportable_detector_fails_closed() -> None:
    screening = gate(screening_age_estimator="no_such_package.detector:build")
    with pytest.raises(ScreeningUnavailable):
        screening.require(Checks(apparent_age=True))
    with pytest.raises(ScreeningUnavailable):
        screening.rule_for(IMAGE, Checks(apparent_age=True))


def test_a_detector_that_breaks_while_running_refuses() -> None:
    screening = gate(screening_nudity_detector=f"{MODULE}:breaks_while_running")
    screening.require(Checks(nudity=True))
    with pytest.raises(ScreeningUnavailable):
        screening.rule_for(IMAGE, Checks(nudity=True))


def test_rules_through_the_gate() -> None:
    screening = gate(
        screening_nudity_detector=f"{MODULE}:flags_nudity",
        screening_age_estimator=f"{MODULE}:finds_a_face_aged_12",
    )
    assert screening.rule_for(IMAGE, Checks(nudity=True)) == RULE_NUDITY
    assert screening.rule_for(IMAGE, Checks(apparent_age=True)) == RULE_MINOR_AGE
    assert screening.rule_for(IMAGE, Checks()) is None


def test_an_unknown_builtin_name_stops_the_start() -> None:
    with pytest.raises(ConfigurationError, match="neither a built-in"):
        gate(screening_nudity_detector="nudenet-typo")


def test_the_nudity_threshold_is_applied_by_the_screener() -> None:
    detector = FixedNudity(0.3)
    ages = FixedAges()
    assert (
        not ModelScreener(nudity=detector, ages=ages, nudity_threshold=0.5)
        .screen(IMAGE, Checks(nudity=True))
        .nudity
    )
    assert (
        ModelScreener(nudity=detector, ages=ages, nudity_threshold=0.3)
        .screen(IMAGE, Checks(nudity=True))
        .nudity
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"screening_min_apparent_age": 24},
        {"screening_min_apparent_age": 18},
        {"screening_nudity_threshold": 0.51},
        {"screening_nudity_threshold": 0.0},
    ],
)
def test_settings_may_only_tighten(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**overrides)  # type: ignore[arg-type]


def test_the_gate_refuses_a_lowered_minimum_age_whoever_builds_it() -> None:
    screener = ModelScreener(nudity=FixedNudity(0.0), ages=FixedAges(), nudity_threshold=0.5)
    with pytest.raises(ConfigurationError, match="never set below 25"):
        ScreeningGate(screener, min_apparent_age=20)


def test_a_raised_minimum_age_is_used(settings_factory: Callable[..., Settings]) -> None:
    screening = gate(
        screening_age_estimator=f"{MODULE}:finds_a_face_aged_30", screening_min_apparent_age=35
    )
    assert screening.rule_for(IMAGE, Checks(apparent_age=True)) == RULE_MINOR_AGE
