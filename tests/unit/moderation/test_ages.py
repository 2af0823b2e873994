"""Ages under 18 are found however they are written; numbers that are not ages are not."""

from __future__ import annotations

import pytest

from limner.clock import utc_today
from limner.moderation.agenumbers import rewrite_numbers
from limner.moderation.ages import mentions_minor_age, minor_ages, tag_ages
from limner.moderation.normalize import analyze

YEAR = utc_today().year


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
        # issue 25: numbers in other forms, relative phrases, birth years
        ("aged XV", 15),
        ("a girl of XIV", 14),
        ("\u216b years old", 12),  # the Roman numeral twelve, one character
        ("\u0661\u0665 years old", 15),  # Arabic-Indic digits
        ("\u0967\u096a yo", 14),  # Devanagari digits
        ("a girl of fifteen", 15),
        ("she has seen fifteen summers", 15),
        ("16yrs", 16),
        ("16y", 16),
        ("not 18 yet", 17),
        ("not even sixteen", 15),
        ("turning 18 next year", 17),
        ("turns eighteen in two months", 17),
        ("two years before her 18th birthday", 16),
        ("a year short of eighteen", 17),
        ("sixteen going on seventeen", 16),
        ("aged twice eight", 16),
        ("two times eight years old", 16),
        ("ten plus six years old", 16),
        ("half of thirty years old", 15),
        ("a decade and a half old", 15),
        ("aged 16 plus 3 months", 16),
        ("aged 15 in the bedroom", 15),
        ("15 today", 15),
        ("15F", 15),
        (f"born in {YEAR - 12}", 11),
        (f"b. {YEAR - 13}", 12),
        (f"nacida en {YEAR - 14}", 13),
        (f"class of {YEAR + 4}", 14),
        ("a year 9 student", 14),
        ("in year 9", 14),
        ("a class 9 girl", 14),
        ("an S2 pupil", 12),
        ("a fifth-year pupil", 15),
        ("8. sinif", 13),
        ("fourteen and a half years old", 14),
        (f"a {YEAR - 13} baby", 12),
        ("15ish", 15),
        ("a third of forty-five years old", 15),
        ("three years younger than the legal age of 18", 15),
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
        # issue 25: adult ages in the same forms, and numbers that are no ages
        "aged five and thirty",
        "five and thirty years old",
        "aged XXV",
        "louis xiv",
        "super bowl xv",
        "aged thirty five",
        "three dozen years old",
        "age 0x1E",
        "aged 35 in the bedroom",
        "she is 5 ft 4 in",
        "she is 4 in tall",
        "15 and 3 months",
        "turning 30 next year",
        "not 30 yet",
        "five years before her 30th birthday",
        "a group of fifteen",
        "one of fifteen",
        "in year 2 of their marriage",
        "16 yrs ago",
        "married 16 yrs",
        f"born in {YEAR - 30}",
        f"class of {YEAR - 10}",
        "12 x 16 canvas",
        "a woman of 30",
    ],
)
def test_numbers_that_are_not_minor_ages(text: str) -> None:
    assert not mentions_minor_age(analyze(text))


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("boy, 11, pool", [11]),
        ("(15) mirror selfie", [15]),
        ("16 in the shower", [16]),
        ("girl, \u09e7\u09e9, selfie", [13]),  # Bengali digits
        ("eighteen minus three, hotel", [15]),
        ("farm girl, 28, hayloft, sunset", []),
        ("woman, 3 am, hotel", []),
        ("3 in the morning, hotel", []),
        ("24/7, 1/2 price", []),
        ("size 8, red dress", []),
        ("room 12, hotel", []),
        ("4k, 8k, uhd", []),
        ("portrait, 16:9, 4:3", []),
    ],
)
def test_a_tag_that_is_only_a_number_is_an_age(text: str, ages: list[int]) -> None:
    """In a tag list ("woman, 28, ..."), a tag of its own that is a number is an age."""
    assert tag_ages(text) == ages


@pytest.mark.parametrize(
    ("view", "rewritten"),
    [
        ("aged xv", "aged 15"),
        ("five and thirty", "35"),
        ("twice eight", "16"),
        ("three dozen", "36"),
        ("a dozen", "12"),
        ("0 x 1 e", "30"),
        ("16 plus 3 months", "16 plus 3 months"),
        ("mix and match", "mix and match"),
        ("i am x", "i am x"),
    ],
)
def test_numbers_are_rewritten_as_digits(view: str, rewritten: str) -> None:
    assert rewrite_numbers(view) == rewritten
