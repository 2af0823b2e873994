"""Per-language rule sets: the data files in `data/languages/`, compiled into matchers.

This module owns reading a language's rule file (format: data/languages/README.md), adding the
operator's words for it, and matching one text against it. Which rule wins is `engine`'s business.

Each language's terms are matched in the form its script needs: Latin terms on `normalize`'s ASCII
views (through `lexicon.TermSet`; they include the canonical form's, `canonical`), terms of every
other script written with spaces (Cyrillic, Arabic, Devanagari, Greek, Hebrew, Bengali, Tamil,
Ethiopic ...) on whole words of the native view, Han/kana/Hangul and Thai terms as substrings of
the CJK view with the near misses masked.
A language's ages are read by `agewords`.

A Latin term of another language that folds to an English word ("børn" and "born", Spanish "niña"
and the name "Nina") is no evidence in ASCII: such a term counts in its ASCII form only where its
language is likely, like the ambiguous words (and in a text too short to identify or a trait
value, read with every language's ambiguous words), and always where its own letters survive in
the native view ("børn").
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from limner.moderation.agewords import AgeWords
from limner.moderation.lexicon import TermSet, read_term_file
from limner.moderation.normalize import Analyzed, TextViews, normalize
from limner.moderation.scripts import (
    NOT_AFTER_WORD,
    NOT_BEFORE_WORD,
    WORD_CHAR,
    NativeViews,
    fold_term,
    is_unspaced,
    native_views,
    scripts_of,
)
from limner.moderation.vocabulary import is_english

# Analyzed: re-exported
# languages whose ages `cjk` reads whatever their files say
_CJK_CODES = frozenset({"ja", "zh", "ko"})
#: the code of the rule set that holds the covered languages' minor and sexual terms
MERGED_CODE = "covered"

__all__ = [
    "MERGED_CODE",
    "Analyzed",
    "LanguageRules",
    "Terms",
    "common_words",
    "english_collision",
    "load_rules",
    "mask_near_misses",
    "shipped_terms",
]

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

    def __bool__(self) -> bool:
        return self._pattern is not None

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

    def __bool__(self) -> bool:
        return self._pattern is not None

    def find(self, views: NativeViews) -> str | None:
        if self._pattern is None:
            return None
        text = self._allow.sub("|", views.cjk) if self._allow else views.cjk
        match = self._pattern.search(text)
        return match.group() if match else None


class Terms:
    """One list of terms, each matched in the form its script needs."""

    def __init__(
        self, terms: Sequence[str], *, allow: Sequence[str] = (), patterns: Sequence[str] = ()
    ) -> None:
        latin, native, cjk = [], [], []
        for term in terms:
            scripts = scripts_of(term)
            if scripts & {"han", "kana", "hangul"} or is_unspaced(term):
                cjk.append(term)
            elif scripts & {"cyrillic", "arabic", "devanagari", "other"}:
                native.append(term)
            else:
                latin.append(term)
        self._latin = TermSet(latin, patterns=patterns)
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
            re.compile(rf"(?<![a-z0-9])(?:{'|'.join(map(_phrase, latin_allow))})(?![a-z0-9])")
            if latin_allow
            else None
        )

    def __bool__(self) -> bool:
        return bool(self._latin) or bool(self._native) or bool(self._cjk)

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
    #: whether `ages` has any age word to read (an empty one is skipped)
    has_ages: bool = True
    #: terms that fold to an English word, in their native spelling ("børn"), which counts
    #: always (their ASCII form is among the ambiguous words)
    minor_native: _NativeTerms | None = None

    @property
    def empty(self) -> bool:
        """Whether this rule set can match nothing (a merged language with no ambiguous words
        and no ages of its own)."""
        return not (
            self.minor
            or self.minor_if_identified
            or self.sexual
            or self.sexual_if_identified
            or self.has_ages
            or self.minor_native
        )

    def find_minor(self, text: Analyzed, *, identified: bool) -> tuple[str, str] | None:
        """("minor_age" or "minor_term", what matched), or None."""
        age = self.ages.find(text) if self.has_ages else None
        if age:
            return "minor_age", age
        term = (
            self.minor.find(text)
            or (self.minor_if_identified.find(text) if identified else None)
            or (self.minor_native.find(text.native) if self.minor_native else None)
        )
        return ("minor_term", term) if term else None

    def find_sexual(self, text: Analyzed, *, identified: bool) -> str | None:
        return self.sexual.find(text) or (
            self.sexual_if_identified.find(text) if identified else None
        )


def load_rules(
    codes: Iterable[str], *, extra_dir: Path | None = None, merged: Iterable[str] = ()
) -> tuple[LanguageRules, ...]:
    """The rule sets of `codes`, each with the operator's words from `extra_dir/<code>/` added.

    The minor and sexual terms of the `merged` languages (the covered ones) are matched by one
    rule set, `MERGED_CODE`, rather than one per language: seventy rule sets per field cost more
    than the terms do. Their ambiguous words and ages stay in their own rule sets, which are left
    out where nothing else is in them.
    """
    codes = tuple(codes)
    extras = tuple(_operator_words(code, extra_dir) for code in codes)
    return _compile(codes, extras, frozenset(merged))


# Compiling the languages' patterns is most of a moderator's start; the result depends only on
# these arguments and is never changed, so every moderator in a process (each app a test builds,
# each `limner moderation check`) shares it. The operator's files are still read each time.
@functools.lru_cache(maxsize=16)
def _compile(
    codes: tuple[str, ...], extras: tuple[OperatorWords, ...], merge: frozenset[str]
) -> tuple[LanguageRules, ...]:
    words = dict(zip(codes, extras, strict=True))
    rules = [_load(code, words[code], merged=code in merge) for code in codes]
    if merge:
        minor = [
            t
            for code in codes
            if code in merge
            for t in _minor_terms(code, words[code])
            if not english_collision(code, t)
        ]
        sexual = [t for code in codes if code in merge for t in _sexual_terms(code, words[code])]
        rules.append(
            LanguageRules(
                code=MERGED_CODE,
                name="the covered languages",
                minor=Terms(minor),
                minor_if_identified=Terms(()),
                sexual=Terms(sexual),
                sexual_if_identified=Terms(()),
                ages=AgeWords(MERGED_CODE, {}),
                has_ages=False,
            )
        )
    return tuple(rule for rule in rules if not rule.empty)


def shipped_terms(codes: Iterable[str]) -> tuple[str, ...]:
    """Every shipped minor and sexual term of `codes`, in every script (for `vocabulary`)."""
    return tuple(
        term
        for code in codes
        for key in ("minor", "minor_if_identified", "sexual", "sexual_if_identified")
        for term in _shipped(code).get(key, [])
    )


def mask_near_misses(views: TextViews) -> TextViews:
    """`views` with English's `allow` phrases and negated minor words masked in every word view,
    before any rule reads them: "minor league", "teenage mutant ninja turtles", "Kinder chocolate"
    and "no children around" name no minor, and English's base list (`lexicon`) would otherwise
    read "minor", "teenage", "kinder" and "children"."""
    pattern = _english_near_misses()
    if pattern is None or not any(pattern.search(view) for view in views.words):
        return views
    return replace(views, words=tuple(pattern.sub("#", view) for view in views.words))


@functools.cache
def _english_near_misses() -> re.Pattern[str] | None:
    english = _shipped("en")
    phrases = sorted({normalize(p) for p in english.get("allow", [])} - {""}, key=len)
    pieces = [_phrase(p) for p in reversed(phrases)]
    negators = sorted({normalize(w) for w in english.get("negators", [])} - {""}, key=len)
    negated = sorted({normalize(w) for w in english.get("negated", [])} - {""}, key=len)
    if negators and negated:
        # "no children", "not a child": the negation, then the word (its plural "s" too)
        pieces.append(
            f"(?:{'|'.join(map(_phrase, reversed(negators)))}) "
            f"(?:{'|'.join(map(_phrase, reversed(negated)))})"
        )
    if not pieces:
        return None
    return re.compile(rf"(?<![a-z0-9])(?:{'|'.join(pieces)})(?![a-z0-9])")


def _phrase(words: str) -> str:
    # A near miss is masked written as one word too: the canonical form joins split words
    # ("nu sinh vien" may read "nusinh vien").
    return " ?".join(re.escape(word) for word in words.split(" "))


def common_words(codes: Iterable[str]) -> frozenset[str]:
    """The `common` words of `codes`' files (NFC, case folded): frequent words that tell the
    language apart, for languages `wordfreq` has no list of (`languages.foreign_evidence`)."""
    return frozenset(
        unicodedata.normalize("NFC", word).casefold()
        for code in codes
        for word in _shipped(code).get("common", [])
    )


#: the operator's extra (minor, sexual) words of one language
OperatorWords = tuple[tuple[str, ...], tuple[str, ...]]


def _operator_words(code: str, extra_dir: Path | None) -> OperatorWords:
    if extra_dir is None:
        return (), ()
    return (
        _operator_terms(extra_dir / code / "minor.txt"),
        _operator_terms(extra_dir / code / "sexual.txt"),
    )


def _minor_terms(code: str, words: OperatorWords) -> list[str]:
    return [*_shipped(code).get("minor", []), *words[0]]


def _sexual_terms(code: str, words: OperatorWords) -> list[str]:
    return [*_shipped(code).get("sexual", []), *words[1]]


def english_collision(code: str, term: str) -> bool:
    """Whether `term`, a minor term of language `code`, folds to one English word that is no
    English minor term ("børn" -> "born", "niña" -> "nina", "plant", Welsh for children)."""
    if code == "en" or term.endswith("*") or not scripts_of(term) <= {"latin"}:
        return False
    folded = normalize(term)
    if " " in folded or not is_english(folded):
        return False
    return folded not in _english_minor() and folded.removesuffix("s") not in _english_minor()


@functools.cache
def _english_minor() -> frozenset[str]:
    from limner.moderation.lexicon import MINOR_TERMS

    english = _shipped("en")
    terms = (*MINOR_TERMS, *english.get("minor", []), *english.get("minor_if_identified", []))
    return frozenset(normalize(term) for term in terms)


def _load(code: str, words: OperatorWords, *, merged: bool = False) -> LanguageRules:
    data = _shipped(code)
    allow = data.get("allow", [])
    every = [*_minor_terms(code, words), *data.get("minor_if_identified", [])]
    collisions = [term for term in every if english_collision(code, term)]
    minor = [] if merged else _minor_terms(code, words)
    minor = [term for term in minor if term not in collisions]
    ambiguous = list(dict.fromkeys([*data.get("minor_if_identified", []), *collisions]))
    native = [term for term in collisions if not fold_term(term).isascii()]
    sexual = [] if merged else _sexual_terms(code, words)
    return LanguageRules(
        code=code,
        name=data["name"],
        minor=Terms(minor, allow=allow, patterns=data.get("minor_patterns", [])),
        minor_if_identified=Terms(ambiguous, allow=allow),
        sexual=Terms(sexual, allow=data.get("allow_sexual", [])),
        sexual_if_identified=Terms(data.get("sexual_if_identified", [])),
        ages=AgeWords(code, data.get("ages", {})),
        has_ages=code in _CJK_CODES or any(data.get("ages", {}).values()),
        minor_native=_NativeTerms(native) if native else None,
    )


@functools.cache
def _shipped(code: str) -> dict[str, Any]:
    resource = resources.files("limner.moderation").joinpath("data", "languages", f"{code}.toml")
    return tomllib.loads(resource.read_text(encoding="utf-8"))


def _operator_terms(path: Path) -> tuple[str, ...]:
    return read_term_file(path) if path.is_file() else ()


def _cjk_key(term: str) -> str:
    return native_views(term).cjk
