"""Age detection: does a text state an age under 18, in digits or in words?

This module owns reading ages out of normalised text (`normalize.TextViews`). An age counts only
when it is written as an age: followed by an age unit ("15yo", "15 y/o", "16 years old",
"twelve-year-old", "6 months old"), after an age word ("aged fifteen", "age: 16"), after a bound
("under 18", "not yet 18"), after a subject ("she is 15", "just turned 14"), after an appearance
verb ("looks 14", "appears to be fifteen", "seems 16 at most"), as a birthday ("her
15th birthday") or as a school grade ("5th grade", "grade 7", "fifth grader"). A bare number is
never an age: "3 cats", "1 2 3 4 apples", "a 1990s car" and "the 15th floor" say nothing about
anyone's age.

Known trade-offs: "age" followed by a number is read as an age, so "ice age 2" is a minor
indicator, and so is "a 12 year old scotch". That only matters in the adult style or beside sexual
wording, where refusing is the safe side.
"""

from __future__ import annotations

import re

from limner.moderation.normalize import TextViews

__all__ = ["ADULT_AGE", "mentions_minor_age", "minor_ages"]

#: the first age that is not a minor
ADULT_AGE = 18

# fmt: off
_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
    "sixteenth", "seventeenth", "eighteenth", "nineteenth",
]
# fmt: on
_WORD_VALUES: dict[str, int] = {word: n for n, word in enumerate(_UNITS)}
_WORD_VALUES.update({word: 20 + 10 * n for n, word in enumerate(_TENS)})
_ORDINAL_VALUES: dict[str, int] = {word: n for n, word in enumerate(_ORDINALS)}


def _alternation(words: list[str]) -> str:
    # Longest first, so "seventeen" is tried before "seven".
    return "|".join(sorted(words, key=len, reverse=True))


_NUM = (
    rf"(?:\d{{1,3}}|(?:{_alternation(_TENS)})(?: ?(?:{_alternation(_UNITS[1:10])}))?"
    rf"|{_alternation(_UNITS)})"
)
_ORD = rf"(?:\d{{1,2}} ?(?:st|nd|rd|th)|{_alternation(_ORDINALS)})"

# Words after a number that make it a measure, not an age ("under 10 minutes", "she is 5 feet").
_MEASURE = (
    r"(?! (?:percent|pc|minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|weeks?|months?|"
    r"dollars?|usd|euros?|eur|pounds?|quid|bucks|kg|kilos?|lbs?|grams?|g|feet|foot|ft|inch|"
    r"inches|in|cm|mm|m|meters?|metres?|km|miles?|mph|kmh|degrees?|steps?|times|x|of|stories|"
    r"storeys?|floors?|people|persons|men|women|cats?|dogs?)\b)"
)

# (pattern, how to turn the matched number into an age in years)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        # "15yo", "15 y/o", "16 years old", "twelve-year-old", "15 yrs of age"
        (
            rf"\b(?P<n>{_NUM}) (?:yo|y o|yoa|y o a|yrs?|years?) ?(?:old|olds|of age)\b"
            rf"|\b(?P<n2>{_NUM}) (?:yo|y o|yoa|y o a)\b",
            "years",
        ),
        (rf"\b(?P<n>{_NUM}) (?:months?|mos?) old\b", "months"),
        (rf"\b(?P<n>{_NUM}) (?:weeks?|wks?|days?) old\b", "infant"),
        # "aged fifteen", "age: 16", "at the age of 12"
        (
            rf"\b(?:aged?|ages|age of|at age|the age of)"
            r"(?: (?:is|was|of|about|around|maybe|approx|approximately|just|only))?"
            rf" (?P<n>{_NUM})\b" + _MEASURE,
            "years",
        ),
        # "under 18", "younger than 16", "not yet 18"
        (
            rf"\b(?:under|below|younger than|not yet|almost|nearly|just under)"
            rf"(?: the age of| age| aged)? (?P<n>{_NUM})\b" + _MEASURE,
            "bound",
        ),
        # "she is 15", "i m 14", "just turned 13"
        (
            rf"\b(?:i am|i m|im|she is|shes|she s|he is|hes|he s|who is|is only|turned|turning)"
            # "she is 5'4" is a height: a second number follows
            rf" (?P<n>{_NUM})\b(?! \d)" + _MEASURE,
            "years",
        ),
        # "looks 14", "appears to be fifteen", "seems 16 at most", "could pass for 15": the
        # apparent age is what a picture shows, so it counts like a stated one
        (
            r"\b(?:looks?|looking|appears?|appearing|seems?|seeming|passes|passing|pass)"
            r"(?: (?:to be|like|for|as))?"
            r"(?: (?:about|around|roughly|maybe|only|barely|just|under|like|at most|no more than|"
            r"no older than|not older than|younger than))?"
            rf" (?P<n>{_NUM})\b(?! \d)" + _MEASURE,
            "years",
        ),
        (rf"\b(?P<o>{_ORD}) birthday\b", "years"),
        (rf"\b(?P<o>{_ORD}) grader?s?\b|\bgrade (?P<n>{_NUM})\b" + _MEASURE, "grade"),
    )
)


def minor_ages(text: str) -> list[int]:
    """Every age under 18 stated in one normalised view (a school grade counts as its age)."""
    found: list[int] = []
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(text):
            value = _value(match)
            if value is None:
                continue
            if kind == "years" and value < ADULT_AGE:
                found.append(value)
            elif kind == "months" and value < 12 * ADULT_AGE:
                found.append(value // 12)
            elif kind == "infant":
                found.append(0)
            elif kind == "bound" and value <= ADULT_AGE:
                found.append(max(value - 1, 0))
            elif kind == "grade" and 0 <= value <= 12:
                # A grade implies school age: kindergarten is about five, grade N about N + 5.
                found.append(value + 5)
    return found


def mentions_minor_age(views: TextViews) -> bool:
    """Whether any view of the text states an age under 18."""
    return any(minor_ages(view) for view in (views.ages, *views.words))


def _value(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("o"):
        return _ordinal_value(groups["o"])
    raw = groups.get("n") or groups.get("n2")
    return _number_value(raw) if raw else None


def _number_value(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    total = 0
    for word in raw.split(" ") if " " in raw else _split_compound(raw):
        if word not in _WORD_VALUES:
            return None
        total += _WORD_VALUES[word]
    return total


def _split_compound(raw: str) -> list[str]:
    # "twentyone" (written without a space) -> ["twenty", "one"]
    for tens in _TENS:
        if raw.startswith(tens) and raw != tens:
            return [tens, raw[len(tens) :]]
    return [raw]


def _ordinal_value(raw: str) -> int | None:
    digits = re.match(r"\d+", raw)
    if digits:
        return int(digits.group())
    return _ORDINAL_VALUES.get(raw)
