"""Property tests: disguising a refused word never makes it pass.

Each example takes a word the adult style refuses and disguises it the ways safety.md lists:
random case, homoglyphs, leetspeak, zero-width characters anywhere, punctuation inside the word,
and the same separator between every letter.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField

REFUSED_WORDS = ["kid", "child", "teen", "loli", "schoolgirl", "toddler", "underage", "jailbait"]
HOMOGLYPHS = {
    "a": ["\u0430", "\u03b1"],
    "c": ["\u0441"],
    "e": ["\u0435", "\u03b5"],
    "i": ["\u0456"],
    "k": ["\u043a", "\u03ba"],
    "o": ["\u043e", "\u03bf"],
    "p": ["\u0440"],
    "t": ["\u0442"],
    "x": ["\u0445"],
    "y": ["\u0443"],
    "h": ["\u04bb"],
    "s": ["\u0455"],
    "j": ["\u0458"],
}
LEET = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]
# Not "!", "|", "@", "$": those read as letters inside a word, which is a separate evasion.
PUNCTUATION = [".", "-", "_", "*", "/", "'", ",", "~", "+", ":", "\u00b7", "\u2022"]
MODERATOR = RuleModerator(real_people=())


def _refused(text: str, *, field: str = "prompt") -> bool:
    fields = (TextField("prompt", "a selfie"), TextField(field, text))
    return not MODERATOR.check(ModerationRequest(style=Style.nude, fields=fields)).allowed


@st.composite
def disguised(draw: st.DrawFn, *, leet: bool) -> str:
    word = draw(st.sampled_from(REFUSED_WORDS))
    letters: list[str] = []
    for ch in word:
        choice = draw(st.sampled_from(["plain", "upper", "homoglyph", "leet"]))
        if choice == "upper":
            ch = ch.upper()
        elif choice == "homoglyph" and ch in HOMOGLYPHS:
            ch = draw(st.sampled_from(HOMOGLYPHS[ch]))
        elif choice == "leet" and leet and ch in LEET:
            ch = LEET[ch]
        letters.append(ch)
    # Leetspeak folds only inside words that keep a letter; "1011" is a number.
    if not any(ch.isalpha() for ch in letters):
        letters[0] = word[0]
    return "".join(letters)


@given(disguised(leet=True))
def test_case_homoglyphs_and_leet(text: str) -> None:
    assert _refused(f"a photo of a {text} at home")


@given(disguised(leet=False), st.lists(st.sampled_from(INVISIBLE), min_size=1), st.data())
def test_zero_width_characters_anywhere(text: str, marks: list[str], data: st.DataObject) -> None:
    chars = list(text)
    for mark in marks:
        chars.insert(data.draw(st.integers(0, len(chars))), mark)

    assert _refused(f"a photo of a {''.join(chars)} at home")


@given(disguised(leet=True), st.lists(st.sampled_from(PUNCTUATION), min_size=1), st.data())
def test_punctuation_inside_the_word(text: str, marks: list[str], data: st.DataObject) -> None:
    chars = list(text)
    for mark in marks:
        chars.insert(data.draw(st.integers(1, len(chars) - 1)), mark)

    assert _refused(f"a photo of a {''.join(chars)} at home")


@given(disguised(leet=True), st.sampled_from([" ", *PUNCTUATION, *INVISIBLE, ". ", " - "]))
def test_a_separator_between_every_letter(text: str, separator: str) -> None:
    assert _refused(f"a photo of a {separator.join(text)} at home")


@pytest.mark.parametrize(
    "field", ["appearance.body_type", "appearance.hair_style", "snap_caption.text"]
)
@given(text=disguised(leet=True))
def test_disguises_work_the_same_in_every_field(field: str, text: str) -> None:
    assert _refused(text, field=field)
