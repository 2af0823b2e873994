"""Per-language rule sets: the data files in `data/languages/`, compiled into matchers.

This module owns reading a language's rule file (format: data/languages/README.md), adding the
operator's words for it, and matching one text against it. Which rule wins is `engine`'s business.

Each language's terms are matched in the form its script needs: Latin terms on `normalize`'s ASCII
views (through `lexicon.TermSet`), Cyrillic, Arabic and Devanagari terms on whole words of the
native view, Han/kana/Hangul terms as substrings of the CJK view with the near misses masked.
A language's ages are read by `agewords`.
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

from limner.moderation.agewords import AgeWords
from limner.moderation.lexicon import TermSet, read_term_file
from limner.moderation.normalize import Analyzed, normalize
from limner.moderation.scripts import (
    NOT_AFTER_WORD,
    NOT_BEFORE_WORD,
    WORD_CHAR,
    NativeViews,
    fold_term,
    native_views,
    scripts_of,
)

__all__ = ["Analyzed", "LanguageRules", "Terms", "load_rules"]  # Analyzed: re-exported

# attached Arabic prefixes: conjunctions, prepositions and the article ("والطفل", "للأطفال")
_ARABIC_PREFIX = "(?:[\u0648\u0641])?(?:[\u0628\u0644\u0643])?(?:\u0627\u0644)?"
_B = NOT_AFTER_WORD
_E = NOT_BEFORE_WORD


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


@dataclass(frozen=True)
class LanguageRules:
    """One language's compiled rules."""

    code: str
    name: str
    minor: Terms
    minor_if_identified: Terms
    sexual: Terms
    sexual_if_identified: Terms
    ages: AgeWords

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
    extra_minor: tuple[str, ...] = ()
    extra_sexual: tuple[str, ...] = ()
    if extra_dir is not None:
        extra_minor = _operator_terms(extra_dir / code / "minor.txt")
        extra_sexual = _operator_terms(extra_dir / code / "sexual.txt")
    return _compile(code, extra_minor, extra_sexual)


# Compiling a language's patterns is most of a moderator's start; the result depends only on
# these arguments and is never changed, so every moderator in a process (each app a test builds,
# each `limner moderation check`) shares it. The files are still read each time.
@functools.lru_cache(maxsize=256)
def _compile(
    code: str, extra_minor: tuple[str, ...], extra_sexual: tuple[str, ...]
) -> LanguageRules:
    data = _shipped(code)
    allow = data.get("allow", [])
    return LanguageRules(
        code=code,
        name=data["name"],
        minor=Terms([*data.get("minor", []), *extra_minor], allow=allow),
        minor_if_identified=Terms(data.get("minor_if_identified", []), allow=allow),
        sexual=Terms([*data.get("sexual", []), *extra_sexual], allow=data.get("allow_sexual", [])),
        sexual_if_identified=Terms(data.get("sexual_if_identified", [])),
        ages=AgeWords(code, data.get("ages", {})),
    )


@functools.cache
def _shipped(code: str) -> dict[str, Any]:
    resource = resources.files("limner.moderation").joinpath("data", "languages", f"{code}.toml")
    return tomllib.loads(resource.read_text(encoding="utf-8"))


def _operator_terms(path: Path) -> tuple[str, ...]:
    return read_term_file(path) if path.is_file() else ()


def _cjk_key(term: str) -> str:
    return native_views(term).cjk
