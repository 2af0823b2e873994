"""Text normalisation for moderation: the canonical forms that evasive spellings collapse into.

This module owns turning free text into the forms the matchers read. It knows nothing about which
words are refused; `lexicon` and `ages` do the matching.

Pipeline (each step is why a given evasion stops working):

1. NFKC: full-width letters, ligatures, math alphanumerics, circled letters, superscript digits.
2. Invisible characters (zero-width, bidi marks, soft hyphen, BOM, Hangul fillers, tag characters)
   are removed, so "k<ZWSP>i<ZWSP>d" reads "kid". Control and space characters become spaces.
   Decimal digits of any script become ASCII digits.
3. casefold, then NFKD and drop combining marks: case and accents ("kíd", "KID").
4. Homoglyphs (Cyrillic, Greek, small capitals, regional indicators) fold to Latin letters.
5. Symbols used as letters inside words ("k!d", "$ex", "@ge") become letters; everything else that
   is not an ASCII letter or digit is a separator.
6. Runs of single characters separated by separators join into one word: "k i d", "k.i.d",
   "s-c-h-o-o-l". A joined run is also reported as *glued*, because "a k i d" joins to "akid" and
   the matchers then look for terms inside it.
7. Leetspeak (0->o, 1->i, 3->e, 4->a, 5->s, 7->t, 8->b, 9->g) is folded only in words that also
   contain a letter ("k1d", "l0li"). Pure numbers stay numbers, so "15", "1990" and "1 2 3" keep
   their meaning for age detection.

`normalize()` is the canonical word form; `analyze()` gives every view the matchers need:

- three word views: canonical; invisible characters as separators (so a zero-width character
  between two words does not glue them); punctuation inside words removed (so "ch.ild" reads
  "child" while "kid,naked" still splits in the other views);
- an age view with no leet folding and with digits split from letters ("15yo" -> "15 yo",
  "1990s" -> "1990 s"), for age phrases written in digits.

Every view is lower-case ASCII letters and digits separated by single spaces, and `normalize` is
idempotent (a property test holds it to that).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from limner.moderation.scripts import NativeViews

__all__ = ["Analyzed", "TextViews", "analyze", "normalize"]

# Hangul fillers and the braille blank render as nothing but are letters/symbols to Unicode, so
# category checks alone miss them.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")
# Stands in for a removed invisible character until each view decides what it means. NUL itself
# never survives to that point: as a control character it becomes a space first.
_INVISIBLE = "\x00"
_ASCII_CONTROLS = {code: " " for code in (*range(0x20), 0x7F)}

# Look-alikes that NFKC and accent stripping leave alone. Written as escapes so the source stays
# readable and ruff's ambiguous-character check stays quiet.
_HOMOGLYPHS: dict[int, str] = {
    ord(src): dst
    for src, dst in {
        # Cyrillic (lower case: the table runs after casefold)
        "\u0430": "a",
        "\u0432": "b",
        "\u0433": "r",
        "\u0435": "e",
        "\u043a": "k",
        "\u043c": "m",
        "\u043d": "h",
        "\u043e": "o",
        "\u043f": "n",
        "\u0440": "p",
        "\u0441": "c",
        "\u0442": "t",
        "\u0443": "y",
        "\u0445": "x",
        "\u044c": "b",
        "\u0455": "s",
        "\u0456": "i",
        "\u0458": "j",
        "\u0501": "d",
        "\u051b": "q",
        "\u051d": "w",
        "\u04cf": "l",
        "\u04bb": "h",
        "\u04af": "y",
        "\u04bd": "e",
        "\u0261": "g",
        # Greek
        "\u03b1": "a",
        "\u03b2": "b",
        "\u03b3": "y",
        "\u03b5": "e",
        "\u03b7": "n",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bc": "u",
        "\u03bd": "v",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03c4": "t",
        "\u03c5": "u",
        "\u03c7": "x",
        "\u03c9": "w",
        "\u03f2": "c",
        "\u03f3": "j",
        # Armenian
        "\u0585": "o",
        "\u057d": "u",
        "\u0570": "h",
        "\u0578": "n",
        # Latin letters without a decomposition
        "\u0131": "i",
        "\u0237": "j",
        "\u0142": "l",
        "\u00f8": "o",
        "\u0111": "d",
        "\u0127": "h",
        "\u0167": "t",
        "\u0180": "b",
        "\u0268": "i",
        "\u0269": "i",
        "\u00e6": "ae",
        "\u0153": "oe",
        "\u00f0": "d",
        "\u014b": "n",
        "\u0251": "a",
        "\u025b": "e",
        "\u028b": "v",
        # small capitals
        "\u1d00": "a",
        "\u0299": "b",
        "\u1d04": "c",
        "\u1d05": "d",
        "\u1d07": "e",
        "\u0262": "g",
        "\u029c": "h",
        "\u026a": "i",
        "\u1d0a": "j",
        "\u1d0b": "k",
        "\u029f": "l",
        "\u1d0d": "m",
        "\u0274": "n",
        "\u1d0f": "o",
        "\u1d18": "p",
        "\u0280": "r",
        "\ua731": "s",
        "\u1d1b": "t",
        "\u1d1c": "u",
        "\u1d20": "v",
        "\u1d21": "w",
        "\u028f": "y",
        "\u1d22": "z",
    }.items()
}
# Regional indicators (flag letters) and negative squared letters have no NFKC form.
_HOMOGLYPHS.update({0x1F1E6 + i: chr(ord("a") + i) for i in range(26)})
_HOMOGLYPHS.update({0x1F170 + i: chr(ord("a") + i) for i in range(26)})

_LEET = str.maketrans("01345789", "oieastbg")

# Symbols standing in for letters, only where they sit inside or at the edge of a word, so that
# "kid!" keeps its "kid" and "me @ home" stays two words.
_SYMBOL_LETTERS = (
    (re.compile(r"(?<=[a-z0-9])[!|](?=[a-z0-9])"), "i"),
    (re.compile(r"@(?=[a-z0-9])"), "a"),
    (re.compile(r"\$(?=[a-z0-9])|(?<=[a-z])\$"), "s"),
)
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_NOT_WORD_OR_SPACE = re.compile(r"[^a-z0-9\s]+")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])")
_SINGLES_RUN = re.compile(r"(?<![a-z0-9])[a-z0-9](?: [a-z0-9])+(?![a-z0-9])")
_MIXED_WORD = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*[0-9])[a-z0-9]*[a-z][a-z0-9]*")


@dataclass(frozen=True)
class TextViews:
    """Every normalised form of one text that the matchers read."""

    #: word views, leet folded; the first is `normalize(text)`. Duplicates are dropped.
    words: tuple[str, ...]
    #: words made by joining runs of single characters ("a k i d" -> "akid"), leet folded
    glued: tuple[str, ...]
    #: digits kept and split from letters, no leet folding: for ages written in digits
    ages: str


@dataclass(frozen=True)
class Analyzed:
    """One field's text in every form the rules read: these views and `scripts`' native ones."""

    ascii: TextViews
    native: NativeViews


def normalize(text: str) -> str:
    """The canonical word form: lower-case ASCII words, leet folded, separators single spaces."""
    words, _ = _word_view(_symbols(_folded(text).replace(_INVISIBLE, "")))
    return words


def analyze(text: str) -> TextViews:
    """Every view of `text` that `lexicon` and `ages` match against (see the module docstring)."""
    folded = _folded(text)
    removed = _symbols(folded.replace(_INVISIBLE, ""))
    canonical, glued = _word_view(removed)
    views = [(canonical, glued), _word_view(_NOT_WORD_OR_SPACE.sub("", removed))]
    if _INVISIBLE in folded:
        views.append(_word_view(_symbols(folded.replace(_INVISIBLE, " "))))
    age_words, _ = _collapse(removed)
    return TextViews(
        words=tuple(dict.fromkeys(words for words, _ in views)),
        glued=tuple(dict.fromkeys(word for _, glued in views for word in glued)),
        ages=_DIGIT_LETTER.sub(" ", age_words),
    )


def _word_view(letters: str) -> tuple[str, tuple[str, ...]]:
    """Steps 6-7 on the output of steps 1-5: the words and the glued words, leet folded."""
    words, glued = _collapse(letters)
    # Only words mixing letters and digits can hold leetspeak ("k1d"); most have none.
    words = _MIXED_WORD.sub(lambda match: _leet(match.group()), words)
    return words, tuple(_leet(word) for word in glued)


def _folded(text: str) -> str:
    """Steps 1-4: lower-case Latin text; invisible characters are left as `_INVISIBLE`.

    The marker lets one pass serve both the view that drops invisible characters and the view
    that reads them as separators.
    """
    if text.isascii():
        # Most prompts: NFKC, accents and homoglyphs cannot apply, so skip the per-character work.
        return text.translate(_ASCII_CONTROLS).lower()
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_map_char(ch) for ch in text).casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch)[0] != "M"
    )
    return text.translate(_HOMOGLYPHS)


def _symbols(text: str) -> str:
    """Step 5: symbols that stand for letters inside words become those letters."""
    for pattern, letter in _SYMBOL_LETTERS:
        text = pattern.sub(letter, text)
    return text


@functools.lru_cache(maxsize=4096)
def _map_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf" or ch in _INVISIBLE_EXTRA:
        return _INVISIBLE
    if category in ("Cc", "Cs", "Co", "Zs", "Zl", "Zp"):
        return " "
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    return ch


def _collapse(letters: str) -> tuple[str, tuple[str, ...]]:
    """Step 6: words separated by single spaces, each run of single characters joined."""
    spaced = _SEPARATORS.sub(" ", letters).strip()
    glued = tuple(match.group().replace(" ", "") for match in _SINGLES_RUN.finditer(spaced))
    if glued:
        spaced = _SINGLES_RUN.sub(lambda match: match.group().replace(" ", ""), spaced)
    return spaced, glued


def _leet(token: str) -> str:
    # A word with no letter is a number and must stay one (ages, years, counts).
    return token if token.isdigit() else token.translate(_LEET)
