"""Which outputs are screened and which results are refused: pure rules, every combination."""

from __future__ import annotations

import itertools

import pytest

from limner.domain.styles import Style
from limner.screening import (
    MIN_APPARENT_AGE,
    RULE_MINOR_AGE,
    RULE_MINOR_NUDITY,
    RULE_NUDITY,
    Checks,
    FaceAge,
    ScreeningResult,
    checks_for,
    refusal_rule,
)


@pytest.mark.parametrize(
    ("style", "sfw_only", "image_input"),
    list(itertools.product(list(Style), [False, True], [False, True])),
)
def test_checks_for_every_combination(style: Style, sfw_only: bool, image_input: bool) -> None:
    checks = checks_for(style=style, sfw_only=sfw_only, image_input=image_input)
    assert checks.nudity == (sfw_only or image_input)
    assert checks.apparent_age == (style is Style.nude)
    # every output of every style: the nudity detector, then ages when it finds nudity
    assert checks.minor_nudity and checks.runs_nudity and checks.may_run_ages and checks.any


def face(age: float) -> FaceAge:
    return FaceAge(box=(0, 0, 10, 10), apparent_age=age)


AGES = Checks(apparent_age=True)
NUDITY = Checks(nudity=True)


def test_the_default_margin_is_well_above_eighteen() -> None:
    assert MIN_APPARENT_AGE == 25


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ((), None),
        ((30.0,), None),
        ((25.0,), None),
        ((24.9,), RULE_MINOR_AGE),
        ((17.0,), RULE_MINOR_AGE),
        ((40.0, 12.0), RULE_MINOR_AGE),  # any one face is enough
    ],
)
def test_apparent_age(ages: tuple[float, ...], expected: str | None) -> None:
    result = ScreeningResult(faces=tuple(face(a) for a in ages))
    assert refusal_rule(result, AGES) == expected


def test_a_raised_minimum_refuses_more() -> None:
    result = ScreeningResult(faces=(face(30.0),))
    assert refusal_rule(result, AGES) is None
    assert refusal_rule(result, AGES, min_apparent_age=35) == RULE_MINOR_AGE


def test_nudity_is_refused_only_where_it_was_asked_for() -> None:
    nude = ScreeningResult(nudity=True, nudity_score=0.9)
    assert refusal_rule(nude, NUDITY) == RULE_NUDITY
    assert refusal_rule(nude, AGES) is None  # the adult style is not screened for nudity
    assert refusal_rule(nude, Checks()) is None


def test_a_minor_age_wins_over_nudity() -> None:
    result = ScreeningResult(nudity=True, nudity_score=0.9, faces=(face(10.0),))
    assert refusal_rule(result, Checks(nudity=True, apparent_age=True)) == RULE_MINOR_AGE


CASCADE = Checks(minor_nudity=True)


@pytest.mark.parametrize(
    ("nudity", "ages", "expected"),
    [
        (True, (12.0,), RULE_MINOR_NUDITY),
        (True, (40.0, 24.0), RULE_MINOR_NUDITY),  # any one face is enough
        (True, (30.0,), None),  # adult nudity may be delivered in every style
        (True, (), None),  # no face found: nothing to call a minor's
        (False, (12.0,), None),  # no nudity: the cascade refuses nothing
    ],
)
def test_the_cascade_refuses_nudity_with_an_apparent_minor(
    nudity: bool, ages: tuple[float, ...], expected: str | None
) -> None:
    result = ScreeningResult(nudity=nudity, faces=tuple(face(a) for a in ages))
    assert refusal_rule(result, CASCADE) == expected


def test_in_the_adult_style_the_age_rule_names_the_refusal() -> None:
    result = ScreeningResult(nudity=True, faces=(face(12.0),))
    adult = checks_for(style=Style.nude, sfw_only=False, image_input=False)
    assert refusal_rule(result, adult) == RULE_MINOR_AGE
    other = checks_for(style=Style.anime, sfw_only=True, image_input=False)
    assert refusal_rule(result, other) == RULE_MINOR_NUDITY
