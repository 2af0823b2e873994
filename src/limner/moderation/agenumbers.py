"""Numbers written so that no age pattern sees a number: rewritten as digits before ages are read.

This module owns turning the number forms of one normalised view (lower-case ASCII words) into
plain digits, so that `ages`' patterns ("aged N", "N years old") read them like any other number:

- Roman numerals of two letters or more ("xv" -> 15, "xvii" -> 17; "Ⅻ" is "xii" after NFKC).
  A single letter ("i", "v", "x") is a word or a placeholder far more often than a number.
- English number words, units before tens ("five and thirty" -> 35, the Arabic and German order
  written in English): without this "aged five and thirty" would read as 5, a false refusal.
- Hexadecimal ("0x1E" -> 30) and decades ("a decade and a half" -> 15 years).
- Arithmetic standing for a number: "twice eight", "three dozen", "two times eight", "8 x 2",
  "ten plus six", "twenty minus four", "half of thirty", "a dozen". "and" is no operator:
  "15 and 3 months" is an age of 15, and "16 plus 3 months" stays 16 for the same reason.

Only whole expressions are rewritten, and only the number: the words around it must still say
it is an age ("twice eight cats" stays no age, because "16 cats" is none).
"""

from __future__ import annotations

import re

__all__ = ["WORD_VALUES", "number_value", "rewrite_numbers"]

# fmt: off
_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# fmt: on
#: English number words 0 to 90 (units, teens and tens)
WORD_VALUES: dict[str, int] = {word: n for n, word in enumerate(_UNITS)}
WORD_VALUES.update({word: 20 + 10 * n for n, word in enumerate(_TENS)})
WORD_VALUES["dozen"] = 12


def _alternation(words: list[str]) -> str:
    # Longest first, so "seventeen" is tried before "seven".
    return "|".join(sorted(words, key=len, reverse=True))


_UNIT_WORD = _alternation(_UNITS[1:10])
_TEN_WORD = _alternation(_TENS)
#: one number: digits, "twenty five", "twentyfive", "fifteen"
NUMBER = rf"(?:\d{{1,3}}|(?:{_TEN_WORD})(?: ?(?:{_UNIT_WORD}))?|{_alternation(_UNITS)}|dozen)"
_N = rf"(?:a |an )?{NUMBER}"

_ROMAN = re.compile(
    r"(?<![a-z0-9])(?=[ivxlc]{2})(?P<r>(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))(?![a-z0-9])"
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_UNITS_BEFORE_TENS = re.compile(
    rf"(?<![a-z0-9])(?P<u>{_UNIT_WORD}) and (?P<t>{_TEN_WORD})(?![a-z0-9])"
)
_ARITHMETIC = re.compile(
    r"(?<![a-z0-9])(?:"
    rf"(?P<twice>twice|double|thrice|triple) (?:of )?(?P<a1>{_N})"
    rf"|(?P<a2>{_N}) (?P<op>times|x|multiplied by|plus|minus|divided by) (?P<b2>{_N})"
    # "16 plus 3 months" is an age of 16, not 19
    r"(?! (?:months?|mos?|weeks?|wks?|days?)\b)"
    rf"|half (?:of )?(?P<a3>{_N})"
    rf"|(?:a|one) (?P<part>third|quarter|fourth|fifth) of (?P<a5>{_N})"
    rf"|(?P<a4>{NUMBER}) dozen"
    rf"|(?P<dozen>a dozen|one dozen)"
    r")(?![a-z0-9])"
)
_OPS = {
    "times": lambda a, b: a * b,
    "x": lambda a, b: a * b,
    "multiplied by": lambda a, b: a * b,
    "plus": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "divided by": lambda a, b: a // b if b else None,
}
_PARTS = {"third": 3, "quarter": 4, "fourth": 4, "fifth": 5}
_FACTORS = {"twice": 2, "double": 2, "thrice": 3, "triple": 3}


def number_value(raw: str) -> int | None:
    """The value of one number as `NUMBER` matches it ("twenty five", "twentyfive", "15")."""
    raw = raw.strip()
    for article in ("a ", "an "):
        if raw.startswith(article):
            raw = raw[len(article) :]
    if raw.isdigit():
        return int(raw)
    total = 0
    for word in raw.split(" ") if " " in raw else _split_compound(raw):
        if word not in WORD_VALUES:
            return None
        total += WORD_VALUES[word]
    return total


def rewrite_numbers(view: str) -> str:
    """`view` with Roman numerals, units-before-tens words and arithmetic rewritten as digits."""
    if "and a half" in view:
        # "fourteen and a half years old" is fourteen
        view = _AND_A_HALF.sub(lambda m: m["n"], view)
    if "decade" in view:
        view = _DECADES.sub(lambda m: _DECADE_YEARS[m.group()], view)
    if " x " in view or "0x" in view:
        view = _HEX.sub(lambda m: str(int(m["h"].replace(" ", ""), 16)), view)
    if _ROMAN_HINT.search(view):
        view = _ROMAN.sub(_roman, view)
    if " and " in view:
        view = _UNITS_BEFORE_TENS.sub(
            lambda m: str(WORD_VALUES[m["t"]] + WORD_VALUES[m["u"]]), view
        )
    if _ARITHMETIC_HINT.search(view):
        view = _ARITHMETIC.sub(_arithmetic, view)
    return view


# "a decade and a half old" is 15 years old
_DECADE_YEARS = {
    "a decade and a half": "15 years",
    "one decade and a half": "15 years",
    "half a decade": "5 years",
    "a decade": "10 years",
    "one decade": "10 years",
    "two decades": "20 years",
}
_AND_A_HALF = re.compile(rf"(?<![a-z0-9])(?P<n>{NUMBER}) and a half(?![a-z0-9])")
_DECADES = re.compile("|".join(sorted(_DECADE_YEARS, key=len, reverse=True)))
# "0x1E" (the age view splits it: "0 x 1 e"): hexadecimal, 30
_HEX = re.compile(r"(?<![a-z0-9])0 ?x ?(?P<h>[0-9a-f](?: ?[0-9a-f]){0,2})(?![a-z0-9])")
_ROMAN_HINT = re.compile(r"(?<![a-z0-9])[ivxlc]{2,}(?![a-z0-9])")
_ARITHMETIC_HINT = re.compile(
    r"\b(?:twice|double|thrice|triple|times|x|multiplied|plus|minus|divided|half|dozen|third"
    r"|quarter|fourth|fifth)\b"
)


def _roman(match: re.Match[str]) -> str:
    letters = match["r"]
    values = [_ROMAN_VALUES[letter] for letter in letters]
    total = sum(
        -v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)
    )
    return str(total) if 0 < total < 100 else letters


def _arithmetic(match: re.Match[str]) -> str:
    text = match.group()
    if match["twice"]:
        value = number_value(match["a1"])
        return str(_FACTORS[match["twice"]] * value) if value is not None else text
    if match["dozen"]:
        return "12"
    if match["a5"]:
        value = number_value(match["a5"])
        return str(value // _PARTS[match["part"]]) if value is not None else text
    if match["a4"]:
        value = number_value(match["a4"])
        return str(12 * value) if value is not None else text
    if match["a3"]:
        value = number_value(match["a3"])
        return str(value // 2) if value is not None else text
    a, b = number_value(match["a2"]), number_value(match["b2"])
    if a is None or b is None:
        return text
    result = _OPS[match["op"]](a, b)
    return str(result) if result is not None and 0 <= result < 1000 else text


def _split_compound(raw: str) -> list[str]:
    # "twentyone" (written without a space) -> ["twenty", "one"]
    for tens in _TENS:
        if raw.startswith(tens) and raw != tens:
            return [tens, raw[len(tens) :]]
    return [raw]
