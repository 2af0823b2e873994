"""Which languages a text is written in, and whether Limner moderates them.

This module owns the list of supported languages and the language identification the adult
style's fail-closed policy rests on (docs/safety.md, "Languages"). It knows no rules.

Identification decides two things only: whether the adult style may run (`supported`), and which
languages' ambiguous words count (`likely`: German "Kind" is English "kind"). Every language's
minor and school terms, the `COVERED` ones included, apply to every text whatever it is identified
as (`engine`). The adult style is refused only on positive evidence that the text is in a language
Limner does not moderate, never on a classifier's guess about a few words:

- Letters of a script none of the supported languages writes (Greek, Hebrew, Thai, Bengali, ...)
  make up most of the text.
- Or words of a language outside `SUPPORTED` that no supported language has: at least
  `MIN_FOREIGN_WORDS` of them and at least `MIN_FOREIGN_SHARE` of the text's words. The word
  lists are `wordfreq`'s (their data ships in the wheel): the `FOREIGN_WORDS` most frequent words
  of each of its unsupported languages, less every word of every supported language's list; for
  covered languages wordfreq lacks (Swahili, Afrikaans, Welsh, ...), the `common` words of their
  data files. A rare English word, a name or a tag is in no list and counts for nothing, so "mirror
  selfie, messy bedroom" or "topless brunette, soft light" cannot be refused as Afrikaans or
  Danish the way a classifier on four words refused them.
- A text of fewer than `MIN_IDENTIFIED_WORDS` distinct words ("sunday mood", "blonde") is not
  identified at all: it is read with every language's rules, like a trait value.

`py3langid` (its model ships in the wheel) still ranks languages for `likely` and for the
operator's console; it no longer decides `supported`. Malay is read as Indonesian (they share most
words; Indonesian's rules cover the Malay words of the domain, and Malay words are no evidence).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from limner.moderation.scripts import letter_scripts

__all__ = [
    "COVERED",
    "MIN_FOREIGN_SHARE",
    "MIN_FOREIGN_WORDS",
    "MIN_IDENTIFIED_WORDS",
    "RULE_LANGUAGES",
    "SUPPORTED",
    "Identification",
    "foreign_evidence",
    "identify",
    "preload",
    "supported_list",
]

#: language code -> English name: every language with a complete rule set in data/languages/
SUPPORTED: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "ar": "Arabic",
    "hi": "Hindi",
    "id": "Indonesian",
    "vi": "Vietnamese",
}

#: languages whose minor, school and sexual terms apply to every text (data/languages/), although
#: the adult style does not accept text written in them: their lists are not complete rule sets
COVERED: dict[str, str] = {
    "sv": "Swedish",
    "nb": "Norwegian",
    "da": "Danish",
    "fi": "Finnish",
    "is": "Icelandic",
    "hu": "Hungarian",
    "cs": "Czech",
    "sk": "Slovak",
    "ro": "Romanian",
    "bg": "Bulgarian",
    "sr": "Serbian",
    "hr": "Croatian",
    "sl": "Slovenian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "et": "Estonian",
    "el": "Greek",
    "he": "Hebrew",
    "fa": "Persian",
    "ur": "Urdu",
    "bn": "Bengali",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "ms": "Malay",
    "tl": "Tagalog",
    "sw": "Swahili",
    "am": "Amharic",
    "yo": "Yoruba",
    "ha": "Hausa",
    "zu": "Zulu",
    "af": "Afrikaans",
    "ca": "Catalan",
    "eu": "Basque",
    "ga": "Irish",
    "cy": "Welsh",
    "sq": "Albanian",
    "mk": "Macedonian",
    "az": "Azerbaijani",
    "uz": "Uzbek",
    "kk": "Kazakh",
    "mn": "Mongolian",
    "ka": "Georgian",
    "hy": "Armenian",
    "ne": "Nepali",
    "si": "Sinhala",
    "pa": "Punjabi",
    "km": "Khmer",
    "lo": "Lao",
    "my": "Burmese",
    "mi": "Maori",
    "sm": "Samoan",
}
#: every language with a rule file: the supported ones first
RULE_LANGUAGES: tuple[str, ...] = (*SUPPORTED, *COVERED)

#: wordfreq's languages that are evidence of unsupported text (Malay is read as Indonesian)
_WORDFREQ_FOREIGN = (
    "bg", "bn", "ca", "cs", "da", "el", "fa", "fi", "fil", "he", "hu", "is", "lt", "lv", "mk",
    "nb", "ro", "sh", "sk", "sl", "sv", "ta", "ur",
)  # fmt: skip
#: how many of each unsupported language's most frequent words count as evidence
FOREIGN_WORDS = 8000
#: the adult style is refused when at least this many words are foreign-only ...
MIN_FOREIGN_WORDS = 2
#: ... and they are at least this share of the text's words
MIN_FOREIGN_SHARE = 1 / 3

#: the classifier-only policy this replaced (the supported languages' summed probability); kept
#: only for bench/bench_language_id.py's comparison of identifiers
MIN_SUPPORTED_CONFIDENCE = 0.25

#: texts with fewer distinct words (of two letters or more) are not identified
MIN_IDENTIFIED_WORDS = 3
_WORDS = re.compile(r"[^\W\d_]{2,}")
_LETTER_RUNS = re.compile(r"[^\W\d_]+")

#: a supported language this probable (or ranked first) counts as identified for its ambiguous words
LIKELY_CONFIDENCE = 0.2


@dataclass(frozen=True)
class Identification:
    #: best first; codes of any language the model knows ("sv", "fa"), not only supported ones
    languages: tuple[str, ...]
    supported: bool
    #: probability of the top language (1.0 where script decided)
    confidence: float
    #: supported languages likely enough that their ambiguous words count ("kind" in German)
    likely: frozenset[str] = frozenset()


def supported_list() -> str:
    """ "English (en), Spanish (es), ...": for refusal messages and the CLI."""
    return ", ".join(f"{name} ({code})" for code, name in SUPPORTED.items())


def identify(text: str) -> Identification:
    """The languages `text` is written in, and whether Limner moderates them."""
    letters = letter_scripts(text)
    total = sum(letters.values())
    if not total:
        # digits and symbols only: every rule reads them, there is no language to miss
        return Identification(languages=(), supported=True, confidence=1.0)
    if letters["other"] * 2 >= total:
        return Identification(
            languages=("other",),
            supported=False,
            confidence=1.0,
            likely=frozenset(RULE_LANGUAGES),
        )
    cjk = letters["kana"] + letters["hangul"] + letters["han"]
    if cjk * 2 < total and len(set(_WORDS.findall(text.casefold()))) < MIN_IDENTIFIED_WORDS:
        # Too short for any model to tell its language: like a trait value, it is read with
        # every language's rules instead, the ambiguous words of each included.
        return Identification(
            languages=(), supported=True, confidence=0.0, likely=frozenset(RULE_LANGUAGES)
        )
    if cjk * 2 >= total:
        if letters["kana"]:
            code = "ja"
        elif letters["hangul"]:
            code = "ko"
        else:
            code = "zh"
        return Identification(
            languages=(code,), supported=True, confidence=1.0, likely=frozenset({code})
        )
    ranked = _identifier().rank(text)
    languages = tuple(str(code) for code, _ in ranked[:5])
    supported = not foreign_evidence(text)
    likely = frozenset(
        str(code)
        for index, (code, p) in enumerate(ranked[:5])
        if code in RULE_LANGUAGES and (index == 0 or float(p) >= LIKELY_CONFIDENCE)
    )
    return Identification(
        languages=languages,
        supported=supported,
        confidence=float(ranked[0][1]),
        likely=likely,
    )


def foreign_evidence(text: str) -> tuple[str, ...]:
    """The words of `text` known only in unsupported languages, when there are enough of them to
    say the text is written in one (`MIN_FOREIGN_WORDS`, `MIN_FOREIGN_SHARE`); else ()."""
    words = _LETTER_RUNS.findall(unicodedata.normalize("NFC", text).casefold())
    if not words:
        return ()
    foreign = _foreign_words()
    found = tuple(word for word in words if word in foreign)
    if len(found) >= MIN_FOREIGN_WORDS and len(found) >= MIN_FOREIGN_SHARE * len(words):
        return found
    return ()


@functools.cache
def _foreign_words() -> frozenset[str]:
    """Frequent words of unsupported languages that no supported language's list has."""
    from wordfreq import get_frequency_list

    from limner.moderation.rulesets import common_words

    candidates: set[str] = set()
    for code in _WORDFREQ_FOREIGN:
        count = 0
        for bucket in get_frequency_list(code, "small"):
            candidates.update(bucket)
            count += len(bucket)
            if count >= FOREIGN_WORDS:
                break
    candidates.update(common_words(code for code in COVERED if code != "ms"))
    for code in SUPPORTED:
        for bucket in get_frequency_list(code, "small"):
            candidates.difference_update(bucket)
    return frozenset(candidates)


@functools.cache
def _identifier() -> Any:
    # Loaded once per process (about 1.5 s, 20 MB); py3langid has no type hints.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def preload() -> None:
    """Load the model and the word lists now (at start-up), not on the first request."""
    _identifier()
    _foreign_words()
