"""Per-language rule sets: the data files in `data/languages/`, compiled into matchers.

This module owns reading a language's rule file (format: data/languages/README.md), adding the
operator's words for it, and matching one text against it. Which rule wins is `engine`'s business.

Each language's terms are matched in the form its script needs: Latin terms on `normalize`'s ASCII
views (through `lexicon.TermSet`), Cyrillic, Arabic and Devanagari terms on whole words of the
native view, Han/kana/Hangul terms as substrings of the CJK view with the near misses masked.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from limner.moderation.cjk import cjk_minor_age
from limner.moderation.lexicon import TermSet, read_term_file
from limner.moderation.normalize import TextViews, normalize
from limner.moderation.scripts import (
    NOT_AFTER_WORD,
    NOT_BEFORE_WORD,
    WORD_CHAR,
    NativeViews,
    fold_term,
    native_views,
    scripts_of,
)

__all__ = ["Analyzed", "LanguageRules", "Terms", "load_rules"]

ADULT_AGE = 18
# languages num2words reads numbers in (the others' number words are in their data files)
_NUM2WORDS = {"es", "pt", "fr", "de", "it", "nl", "pl", "tr", "ru", "uk", "ar", "id", "vi"}
_CJK = {"ja", "zh", "ko"}
# attached Arabic prefixes: conjunctions, prepositions and the article ("والطفل", "للأطفال")
_ARABIC_PREFIX = "(?:[\u0648\u0641])?(?:[\u0628\u0644\u0643])?(?:\u0627\u0644)?"
# Tens words of every loaded language, and the words that join tens and units ("vinte e cinco",
# "trente et un"): a unit after them is part of an adult age in *another* language's numbers
# ("vinte e cinco anos" must not read as Spanish "cinco años").
_TENS_WORDS: set[str] = set()
_JOINERS = frozenset(
    {"e", "y", "et", "und", "en", "i", "and", "va", "ve", "dan", "\u0438", "\u0456", "\u0648"}
)
_B = NOT_AFTER_WORD
_E = NOT_BEFORE_WORD


@dataclass(frozen=True)
class Analyzed:
    """One field's text in every form the rules read."""

    ascii: TextViews
    native: NativeViews


class _NativeTerms:
    """Whole-word terms in Cyrillic, Arabic or Devanagari on the native view."""

    def __init__(self, terms: Iterable[str]) -> None:
        pieces = []
        for term in terms:
            stem = term.endswith("*")
            folded = fold_term(term[:-1] if stem else term)
            if not folded:
                continue
            body = re.escape(folded) + (rf"{WORD_CHAR}*" if stem else "")
            if "arabic" in scripts_of(folded):
                body = _ARABIC_PREFIX + body
            pieces.append(body)
        pieces.sort(key=len, reverse=True)
        self._pattern = re.compile(rf"{_B}(?:{'|'.join(pieces)}){_E}") if pieces else None
        self._glued = (
            re.compile("|".join(re.escape(fold_term(t.rstrip("*"))) for t in terms))
            if pieces
            else None
        )

    def find(self, views: NativeViews) -> str | None:
        if self._pattern is None or self._glued is None:
            return None
        match = self._pattern.search(views.words)
        if match:
            return match.group()
        for word in views.glued:
            match = self._glued.search(word)
            if match:
                return match.group()
        return None


class _CjkTerms:
    """Han, kana and Hangul terms, anywhere in the CJK view except inside an allowed word."""

    def __init__(self, terms: Iterable[str], allow: Iterable[str]) -> None:
        keys = sorted({_cjk_key(term) for term in terms} - {""}, key=len, reverse=True)
        allowed = sorted({_cjk_key(word) for word in allow} - {""}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None
        self._allow = re.compile("|".join(map(re.escape, allowed))) if allowed else None

    def find(self, views: NativeViews) -> str | None:
        if self._pattern is None:
            return None
        text = self._allow.sub("|", views.cjk) if self._allow else views.cjk
        match = self._pattern.search(text)
        return match.group() if match else None


class Terms:
    """One list of terms, each matched in the form its script needs."""

    def __init__(self, terms: Sequence[str], *, allow: Sequence[str] = ()) -> None:
        latin, native, cjk = [], [], []
        for term in terms:
            scripts = scripts_of(term)
            if scripts & {"han", "kana", "hangul"}:
                cjk.append(term)
            elif scripts & {"cyrillic", "arabic", "devanagari"}:
                native.append(term)
            else:
                latin.append(term)
        self._latin = TermSet(latin)
        self._native = _NativeTerms(native)
        self._cjk = _CjkTerms(cjk, [word for word in allow if not scripts_of(word) <= {"latin"}])
        # Latin near misses ("nữ sinh viên", a university student, holds "nữ sinh", a
        # schoolgirl) are masked in the word views before the terms are looked for.
        latin_allow = sorted(
            {normalize(word) for word in allow if scripts_of(word) <= {"latin"}} - {""},
            key=len,
            reverse=True,
        )
        self._latin_allow = (
            re.compile(rf"(?<![a-z0-9])(?:{'|'.join(map(re.escape, latin_allow))})(?![a-z0-9])")
            if latin_allow
            else None
        )

    def find(self, text: Analyzed) -> str | None:
        views = text.ascii
        if self._latin_allow is not None:
            mask = self._latin_allow
            views = replace(views, words=tuple(mask.sub("#", view) for view in views.words))
        return (
            self._latin.find(views) or self._native.find(text.native) or self._cjk.find(text.native)
        )


class _Ages:
    """Ages under 18 written with a number and an age word, in one language's forms."""

    def __init__(self, code: str, ages: dict[str, Any]) -> None:
        self._code = code
        numbers = _number_words(code, ages)
        self._values = numbers
        _TENS_WORDS.update(w for w, v in numbers.items() if v >= 20 and v % 10 == 0)
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
        self._patterns = tuple(re.compile(p) for p in patterns)
        # Every age form needs one of its age words; most texts have none, and looking for them
        # first is about ten times cheaper than the full patterns.
        words = [*after, *before, *ordinal_after]
        self._trigger = re.compile("|".join(words)) if words else None

    def find(self, text: Analyzed) -> str | None:
        if self._code in _CJK:
            return cjk_minor_age(text.native.cjk)
        if not self._patterns:
            return None
        views = (text.native.words, text.ascii.ages, *text.ascii.words)
        if self._trigger is not None and not any(self._trigger.search(v) for v in views):
            return None
        for pattern in self._patterns:
            for view in views:
                for match in pattern.finditer(view):
                    value = self._value(match)
                    if value is not None and value < ADULT_AGE and not _after_tens(view, match):
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


@dataclass(frozen=True)
class LanguageRules:
    """One language's compiled rules."""

    code: str
    name: str
    minor: Terms
    minor_if_identified: Terms
    sexual: Terms
    sexual_if_identified: Terms
    ages: _Ages

    def find_minor(self, text: Analyzed, *, identified: bool) -> tuple[str, str] | None:
        """("minor_age" or "minor_term", what matched), or None."""
        age = self.ages.find(text)
        if age:
            return "minor_age", age
        term = self.minor.find(text) or (
            self.minor_if_identified.find(text) if identified else None
        )
        return ("minor_term", term) if term else None

    def find_sexual(self, text: Analyzed, *, identified: bool) -> str | None:
        return self.sexual.find(text) or (
            self.sexual_if_identified.find(text) if identified else None
        )


def load_rules(codes: Iterable[str], *, extra_dir: Path | None = None) -> tuple[LanguageRules, ...]:
    """The rule sets of `codes`, each with the operator's words from `extra_dir/<code>/` added."""
    return tuple(_load(code, extra_dir) for code in codes)


def _load(code: str, extra_dir: Path | None) -> LanguageRules:
    data = _shipped(code)
    extra_minor: tuple[str, ...] = ()
    extra_sexual: tuple[str, ...] = ()
    if extra_dir is not None:
        extra_minor = _operator_terms(extra_dir / code / "minor.txt")
        extra_sexual = _operator_terms(extra_dir / code / "sexual.txt")
    allow = data.get("allow", [])
    return LanguageRules(
        code=code,
        name=data["name"],
        minor=Terms([*data.get("minor", []), *extra_minor], allow=allow),
        minor_if_identified=Terms(data.get("minor_if_identified", []), allow=allow),
        sexual=Terms([*data.get("sexual", []), *extra_sexual], allow=data.get("allow_sexual", [])),
        sexual_if_identified=Terms(data.get("sexual_if_identified", [])),
        ages=_Ages(code, data.get("ages", {})),
    )


@functools.cache
def _shipped(code: str) -> dict[str, Any]:
    resource = resources.files("limner.moderation").joinpath("data", "languages", f"{code}.toml")
    return tomllib.loads(resource.read_text(encoding="utf-8"))


def _operator_terms(path: Path) -> tuple[str, ...]:
    return read_term_file(path) if path.is_file() else ()


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


def _cjk_key(term: str) -> str:
    return native_views(term).cjk


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
