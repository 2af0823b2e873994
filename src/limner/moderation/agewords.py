"""Ages under 18 written with a number and an age word, in each supported language's forms.

This module owns reading ages for the per-language rule sets (`rulesets`): the number words of a
language (`num2words` 0 to 99 where it has the language, the data file's own words and composed
inflected forms otherwise) and the age words around them ("catorce años", "mit 14",
"четырнадцати лет", "عمرها 14 سنة", "في الرابعة عشرة من عمرها"). English ages are `ages`;
Japanese, Chinese and Korean ages are `cjk`.

An adult age is never read from its last word: number words are matched longest first, and a
unit after a tens word of *any* supported language ("vinte e cinco anos", Portuguese 25, holds
Spanish "cinco años") is not an age.
"""

from __future__ import annotations

import re
from typing import Any

from limner.moderation.agenumbers import rewrite_numbers
from limner.moderation.cjk import cjk_minor_age
from limner.moderation.normalize import Analyzed, normalize
from limner.moderation.scripts import (
    NOT_AFTER_WORD,
    NOT_BEFORE_WORD,
    WORD_CHAR,
    fold_term,
    scripts_of,
)

__all__ = ["ADULT_AGE", "AgeWords"]

ADULT_AGE = 18
# languages num2words reads numbers in (the others' number words are in their data files)
_NUM2WORDS = {"es", "pt", "fr", "de", "it", "nl", "pl", "tr", "ru", "uk", "ar", "id", "vi"}
_CJK = {"ja", "zh", "ko"}
# Tens words of every loaded language, and the words that join tens and units ("vinte e cinco",
# "trente et un"): a unit after them is part of an adult age in *another* language's numbers
# ("vinte e cinco anos" must not read as Spanish "cinco años").
_TENS_WORDS: set[str] = set()
_JOINERS = frozenset(
    {"e", "y", "et", "und", "en", "i", "and", "va", "ve", "dan", "\u0438", "\u0456", "\u0648"}
)
# joiners written onto the next word (Arabic "و")
_ATTACHED_JOINERS = ("\u0648",)
_B = NOT_AFTER_WORD
_E = NOT_BEFORE_WORD


class AgeWords:
    """Ages under 18 written with a number and an age word, in one language's forms."""

    def __init__(self, code: str, ages: dict[str, Any]) -> None:
        self._code = code
        numbers = _number_words(code, ages)
        self._values = numbers
        tens = {w for w, v in numbers.items() if v >= 20 and v % 10 == 0}
        # Arabic tens have an oblique form ("ثلاثين" beside "ثلاثون") that num2words does not write
        tens |= {w[:-2] + "\u064a\u0646" for w in tens if w.endswith("\u0648\u0646")}
        _TENS_WORDS.update(tens)
        number = "|".join(re.escape(word) for word in sorted(numbers, key=len, reverse=True))
        num = rf"(?P<n>\d{{1,3}}|{number})" if number else r"(?P<n>\d{1,3})"
        patterns = []
        after = [_unit(word) for word in ages.get("after", [])]
        if after:
            patterns.append(rf"{_B}{num} ?(?:{'|'.join(after)}){_E}")
        before = [re.escape(_fold(code, word)) for word in ages.get("before", [])]
        if before:
            patterns.append(rf"{_B}(?:{'|'.join(before)}) {num}{_E}(?! ?\d)")
        ordinals = {_fold(code, word): value for word, value in ages.get("ordinals", {}).items()}
        self._ordinals = ordinals
        ordinal_after = [_unit(word) for word in ages.get("ordinal_after", [])]
        if ordinals and ordinal_after:
            alternation = "|".join(re.escape(w) for w in sorted(ordinals, key=len, reverse=True))
            patterns.append(rf"{_B}(?P<o>{alternation}) (?:{'|'.join(ordinal_after)}){_E}")
        # ordinals that are ages after a word alone, with no age word after them (Arabic "في
        # الرابعة عشرة", in her fourteenth): only the forms no date or hour takes
        bare = {_fold(code, word): value for word, value in ages.get("bare_ordinals", {}).items()}
        self._ordinals = {**ordinals, **bare}
        ordinal_before = [re.escape(_fold(code, w)) for w in ages.get("ordinal_before", [])]
        if bare and ordinal_before:
            alternation = "|".join(re.escape(w) for w in sorted(bare, key=len, reverse=True))
            patterns.append(rf"{_B}(?:{'|'.join(ordinal_before)}) (?P<o>{alternation}){_E}")
        self._patterns = tuple(re.compile(p) for p in patterns)
        # Every age form needs one of its age words; most texts have none, and looking for them
        # first is about ten times cheaper than the full patterns.
        words = [*after, *before, *ordinal_after, *(ordinal_before if bare else [])]
        self._trigger = re.compile("|".join(words)) if words else None

    def find(self, text: Analyzed) -> str | None:
        if self._code in _CJK:
            return cjk_minor_age(text.native.cjk)
        if not self._patterns:
            return None
        # Roman numerals, hexadecimal and arithmetic read as digits ("edad XV", "age 0x1E")
        views = (
            text.native.words,
            *dict.fromkeys(rewrite_numbers(view) for view in (text.ascii.ages, *text.ascii.words)),
        )
        if self._trigger is not None and not any(self._trigger.search(v) for v in views):
            return None
        for pattern in self._patterns:
            for view in views:
                for match in pattern.finditer(view):
                    value = self._value(match)
                    if (
                        value is not None
                        and value < ADULT_AGE
                        and not _after_tens(view, match)
                        and not _before_tens(view, match)
                    ):
                        return match.group()
        return None

    def _value(self, match: re.Match[str]) -> int | None:
        groups = match.groupdict()
        if groups.get("o"):
            return self._ordinals.get(groups["o"])
        raw = groups.get("n")
        if raw is None:
            return None
        return int(raw) if raw.isdigit() else self._values.get(raw)


def _after_tens(view: str, match: re.Match[str]) -> bool:
    before = view[: match.start()].split()[-2:]
    if before and before[-1] in _JOINERS:
        before = before[:-1]
    return bool(before) and before[-1] in _TENS_WORDS


def _before_tens(view: str, match: re.Match[str]) -> bool:
    """A unit before a joiner and a tens word is an adult age written units first.

    Arabic puts units before tens ("خمسة وثلاثون", 35), and so does the English of translations
    ("five and thirty"): the unit alone must not read as the age.
    """
    if match.groupdict().get("n") is None:
        return False
    after = view[match.end("n") :].split()[:2]
    if not after:
        return False
    if after[0] in _JOINERS:
        return len(after) > 1 and after[1] in _TENS_WORDS
    # a joiner written onto the tens word ("وثلاثون")
    return any(after[0] == joiner + tens for joiner in _ATTACHED_JOINERS for tens in _TENS_WORDS)


def _number_words(code: str, ages: dict[str, Any]) -> dict[str, int]:
    words: dict[str, int] = {}
    if code in _NUM2WORDS:
        from num2words import num2words

        for value in range(100):
            words[_fold(code, num2words(value, lang=code))] = value
    words.update({_fold(code, word): value for word, value in ages.get("numbers", {}).items()})
    compose = ages.get("compose", {})
    tens = {_fold(code, word): value for word, value in compose.get("tens", {}).items()}
    units = {_fold(code, word): value for word, value in compose.get("units", {}).items()}
    for ten, ten_value in tens.items():
        words.setdefault(ten, ten_value)
        for unit, unit_value in units.items():
            if unit_value < 10:
                words[f"{ten} {unit}"] = ten_value + unit_value
                words[f"{ten}{unit}"] = ten_value + unit_value
    for unit, unit_value in units.items():
        words.setdefault(unit, unit_value)
    words.pop("", None)
    return words


def _fold(code: str, word: str) -> str:
    """A word of language `code` in the form its text is matched in."""
    if scripts_of(word) & {"cyrillic", "arabic", "devanagari", "han", "kana", "hangul"}:
        return fold_term(word)
    return normalize(word)


def _unit(word: str) -> str:
    stem = word.endswith("*")
    folded = fold_term(word[:-1] if stem else word)
    if not scripts_of(folded) - {"latin"}:
        folded = normalize(word[:-1] if stem else word)
    return re.escape(folded) + (rf"{WORD_CHAR}*" if stem else "")
