"""Which languages a text is written in, and whether Limner moderates them.

This module owns the list of supported languages and the language identification the adult
style's fail-closed policy rests on (docs/safety.md, "Languages"). It knows no rules.

How a text is identified, and why:

- Letters of a script Limner has no rules for (Greek, Hebrew, Thai, ...) make up most of the
  text: unsupported, without asking a model.
- A text of fewer than `MIN_IDENTIFIED_WORDS` distinct words ("sunday mood", "blonde") is not
  identified: no identifier tells the language of two words apart (measured: two-word captions
  in English were placed in Nigerian Pidgin, Welsh or Hausa), so it is read with every language's
  rules instead, like a trait value.
- Kana, Hangul or Han make up most of the letters: Japanese (any kana), Korean (Hangul) or
  Chinese (Han only). Script decides these exactly; a statistical model adds nothing.
- Otherwise `py3langid` (its model ships in the wheel; chosen over `lingua-language-detector` by
  the numbers in bench/results/language-id.md) ranks its 97 languages. The text is supported when
  the top language is one of ours or the supported languages together hold at least
  `MIN_SUPPORTED_CONFIDENCE` of the probability. Short texts spread probability over related
  languages (Dutch/Afrikaans, Russian/Bulgarian, Hindi/Marathi); summing keeps those in while a
  Swedish or Persian sentence, whose probability sits on its own language, stays out.
- Malay is read as Indonesian by the model (they share most words); the Indonesian rules cover
  the Malay words of the domain too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from limner.moderation.scripts import letter_scripts

__all__ = [
    "MIN_IDENTIFIED_WORDS",
    "MIN_SUPPORTED_CONFIDENCE",
    "SUPPORTED",
    "Identification",
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

#: texts with fewer distinct words (of two letters or more) are not identified
MIN_IDENTIFIED_WORDS = 3
_WORDS = re.compile(r"[^\W\d_]{2,}")

#: the probability the supported languages must hold together when the top one is not ours
MIN_SUPPORTED_CONFIDENCE = 0.25
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
        return Identification(languages=("other",), supported=False, confidence=1.0)
    cjk = letters["kana"] + letters["hangul"] + letters["han"]
    if cjk * 2 < total and len(set(_WORDS.findall(text.casefold()))) < MIN_IDENTIFIED_WORDS:
        # Too short for any model to tell its language: like a trait value, it is read with
        # every language's rules instead, the ambiguous words of each included.
        return Identification(
            languages=(), supported=True, confidence=0.0, likely=frozenset(SUPPORTED)
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
    supported_share = sum(float(p) for code, p in ranked if code in SUPPORTED)
    supported = languages[0] in SUPPORTED or supported_share >= MIN_SUPPORTED_CONFIDENCE
    likely = frozenset(
        str(code)
        for index, (code, p) in enumerate(ranked[:5])
        if code in SUPPORTED and (index == 0 or float(p) >= LIKELY_CONFIDENCE)
    )
    return Identification(
        languages=languages,
        supported=supported,
        confidence=float(ranked[0][1]),
        likely=likely,
    )


@functools.cache
def _identifier() -> Any:
    # Loaded once per process (about 1.5 s, 20 MB); py3langid has no type hints.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def preload() -> None:
    """Load the model now (at start-up) rather than on the first adult-style request."""
    _identifier()
