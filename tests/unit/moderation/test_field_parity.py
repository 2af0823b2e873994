"""Parity: every free-text field goes through the same normalisation and rules (issue 15).

The same must-block phrases, in several languages and disguised (homoglyphs and script mixing,
spacing, invisible characters, width, diacritics), are run through the prompt, every appearance
trait, the caption text and fields that do not exist yet (a character name, a negative prompt):
each must be refused the same way. A new field reaches the rules through
`limner.moderation.analyze_field`, so it is covered by the same code these tests exercise.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limner.domain.requests import Appearance
from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField

TRAITS = ["ethnicity", "hair_style", "hair_color", "eye_color", "body_type", "breast_size"]
FIELDS = [
    "prompt",
    *(f"appearance.{trait}" for trait in TRAITS),
    "snap_caption.text",
    # later fields take the same path: nothing in the engine knows field names but "appearance."
    "negative_prompt",
    "character.name",
    "character.description",
]
PHRASES = [
    "a 15 year old",
    "she looks 14",
    "a schoolgirl",
    "una niña",
    "catorce años",
    "ein vierzehnjähriges Mädchen",
    "школьница",
    "четырнадцать лет",
    "女子高生",
    "十四歳",
    "열네 살",
    "طفلة صغيرة",
    "बच्ची",
    "cô bé 14 tuổi",
]
MODERATOR = RuleModerator(real_people=())

# Latin letters and their Cyrillic look-alikes, both ways.
LATIN_TO_CYRILLIC = dict(zip("aeopcxyki", "аеорсхукі", strict=True))
CYRILLIC_TO_LATIN = {v: k for k, v in LATIN_TO_CYRILLIC.items() if k != "i"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
ARABIC_MARKS = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0640"]


def refused(field: str, text: str) -> bool:
    fields = [TextField(field, text)]
    if field != "prompt":
        fields.insert(0, TextField("prompt", "a selfie at the beach"))
    verdict = MODERATOR.check(ModerationRequest(style=Style.nude, fields=tuple(fields)))
    return not verdict.allowed and verdict.field == field and verdict.rule.startswith("minor")


def test_the_field_list_names_every_trait() -> None:
    assert set(Appearance(hair_color="x").free_text_fields()) <= set(TRAITS)
    assert set(TRAITS) == {
        name for name, info in Appearance.model_fields.items() if name not in ("gender", "age")
    }


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("phrase", PHRASES)
def test_every_phrase_is_refused_in_every_field(field: str, phrase: str) -> None:
    assert refused(field, phrase)


@st.composite
def disguised(draw: st.DrawFn) -> str:
    """A must-block phrase disguised in the ways a user would try."""
    phrase = draw(st.sampled_from(PHRASES))
    out = []
    for ch in phrase:
        kind = draw(st.sampled_from(["plain", "swap", "upper", "invisible", "mark", "width"]))
        if kind == "swap":
            ch = LATIN_TO_CYRILLIC.get(ch, CYRILLIC_TO_LATIN.get(ch, ch))
        elif kind == "upper":
            ch = ch.upper()
        elif kind == "invisible" and ch != " ":
            ch = ch + draw(st.sampled_from(INVISIBLE))
        elif kind == "mark" and "\u0621" <= ch <= "\u064a":
            ch = ch + draw(st.sampled_from(ARABIC_MARKS))
        elif kind == "width" and "0" <= ch <= "9":
            ch = chr(ord(ch) - ord("0") + 0xFF10)  # full-width digit
        elif kind == "width" and "\u30a1" <= ch <= "\u30f6":
            ch = chr(ord(ch) - 0x60)  # katakana written as hiragana
        out.append(ch)
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(text=disguised(), field=st.sampled_from(FIELDS))
def test_disguised_phrases_stay_refused_in_every_field(text: str, field: str) -> None:
    assert refused(field, text), text


@settings(max_examples=40, deadline=None)
@given(
    phrase=st.sampled_from([p for p in PHRASES if " " not in p and p.isalpha()]),
    separator=st.sampled_from([" ", ".", "-", "_", "\u200b", "·"]),
    field=st.sampled_from(FIELDS),
)
def test_spaced_out_letters_stay_refused(phrase: str, separator: str, field: str) -> None:
    assert refused(field, separator.join(phrase)), separator.join(phrase)
