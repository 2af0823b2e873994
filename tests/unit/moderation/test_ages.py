"""Ages under 18 are found however they are written; numbers that are not ages are not."""

from __future__ import annotations

import pytest

from limner.moderation.ages import mentions_minor_age, minor_ages
from limner.moderation.normalize import analyze


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("15yo", 15),
        ("15 y/o", 15),
        ("15 y.o.", 15),
        ("aged fifteen", 15),
        ("age: 16", 16),
        ("at the age of 12", 12),
        ("1 2 year old", 12),
        ("twelve-year-old", 12),
        ("16 years old", 16),
        ("a 14 year old", 14),
        ("seventeen years of age", 17),
        ("she is 15", 15),
        ("just turned 13", 13),
        ("her 15th birthday", 15),
        ("sixteenth birthday", 16),
        ("under 18", 17),
        ("not yet eighteen", 17),
        ("6 months old", 0),
        ("3 weeks old", 0),
        ("5th grade", 10),
        ("grade 7", 12),
        ("a fifth grader", 10),
        ("f1fteen year old", 15),
        ("\uff11\uff14yo", 14),
    ],
)
def test_minor_ages_are_found(text: str, age: int) -> None:
    views = analyze(text)

    assert mentions_minor_age(views)
    assert age in {found for view in (views.ages, *views.words) for found in minor_ages(view)}


@pytest.mark.parametrize(
    "text",
    [
        "25 year old",
        "aged thirty",
        "a woman, age 45",
        "twenty-one years old",
        "18 years old",
        "3 cats",
        "1 2 3 4 apples",
        "a 1990s car",
        "the 15th floor",
        "room 1504",
        "under 10 minutes",
        "she is 5 feet tall",
        "she is 4'11",
        "she's 5'4\"",
        "a 3 bedroom flat",
        "page 16",
        "stage 3",
        "a woman in her 30s",
        "under 21",
    ],
)
def test_numbers_that_are_not_minor_ages(text: str) -> None:
    assert not mentions_minor_age(analyze(text))
