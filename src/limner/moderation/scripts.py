"""Script-aware views of text, for the rules written in Cyrillic, Arabic, Devanagari and CJK.

`normalize` folds everything to ASCII, which is right for Latin-script rules and wrong for the
others: it would read Russian as broken Latin look-alikes and drop Japanese altogether. This
module owns the forms those rules read instead, and which scripts a text is written in.

Native view (Cyrillic, Arabic and Devanagari rules, matched on word boundaries), each step an
evasion or a spelling variant it neutralises:

1. NFKC (full-width letters and digits; half-width kana become full-width), invisible characters
   removed, case folded, decimal digits of any script made ASCII.
2. Diacritics: Latin, Greek and Cyrillic accents (so "ё" reads "е", "й" reads "и"), Arabic
   harakat, tanween and tatweel, the Devanagari nukta; chandrabindu reads as anusvara. Devanagari
   vowel signs and the virama are letters of the word and stay.
3. Letter variants: Arabic alef forms, alef maqsura, teh marbuta, hamza carriers; Persian kaf and
   yeh; katakana folded to hiragana.
4. Look-alikes: in a word that is mostly Cyrillic, Latin look-alike letters become Cyrillic
   ("peбенок" with a Latin "p" reads "ребенок"). The reverse (Cyrillic in Latin words) is
   `normalize`'s homoglyph table.
5. Everything that is not a letter or digit separates words; runs of single letters join
   ("р е б е н о к"), like `normalize` does for Latin.

CJK view (Japanese, Chinese and Korean rules, matched as substrings): the native view with only
Han, kana, Hangul and digits kept, so no separator, Latin letter or symbol inside a word hides it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "NativeViews",
    "fold_term",
    "is_unspaced",
    "letter_scripts",
    "native_views",
    "scripts_of",
]

# Hangul fillers and the braille blank render as nothing; see normalize._INVISIBLE_EXTRA.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e\u0640")
_DROPPED_MARKS = re.compile(
    "[\u0300-\u036f"  # Latin, Greek, Cyrillic accents
    "\u064b-\u065f\u0670\u06d6-\u06ed"  # Arabic harakat, tanween, superscript alef, Quranic marks
    "\u093c"  # Devanagari nukta
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"  # Hebrew points and cantillation
    "]"
)
_LETTER_VARIANTS = str.maketrans(
    {
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0622": "\u0627",  # alef with madda
        "\u0671": "\u0627",  # alef wasla
        "\u0649": "\u064a",  # alef maqsura -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0624": "\u0648",  # waw with hamza
        "\u0626": "\u064a",  # yeh with hamza
        "\u06a9": "\u0643",  # Persian kaf
        "\u06cc": "\u064a",  # Persian yeh
        "\u0901": "\u0902",  # chandrabindu -> anusvara
    }
)
# Katakana -> hiragana (the long-vowel mark and the middle dot stay).
_KATAKANA = str.maketrans({code: code - 0x60 for code in range(0x30A1, 0x30F7)})
# Latin letters that look like Cyrillic ones, read as Cyrillic inside a Cyrillic word.
_LATIN_TO_CYRILLIC = str.maketrans(
    {
        "a": "\u0430",
        "b": "\u0432",
        "c": "\u0441",
        "e": "\u0435",
        "h": "\u043d",
        "i": "\u0456",
        "k": "\u043a",
        "m": "\u043c",
        "o": "\u043e",
        "p": "\u0440",
        "t": "\u0442",
        "x": "\u0445",
        "y": "\u0443",
        "3": "\u0437",
        "0": "\u043e",
    }
)
# Python's \w leaves out combining marks, and the vowel signs of Devanagari, Bengali, Tamil,
# Telugu and the other Indic scripts are marks that belong to the word: their whole blocks count as
# word characters (punctuation in them, the danda, is rare inside a prompt).
_INDIC = "\u0900-\u0dff"
WORD_CHAR = rf"(?:[^\W_]|[{_INDIC}])"
NOT_AFTER_WORD = rf"(?<![^\W_])(?<![{_INDIC}])"
NOT_BEFORE_WORD = rf"(?![^\W_])(?![{_INDIC}])"
_WORD = re.compile(rf"{WORD_CHAR}+")
_SEPARATORS = re.compile(rf"(?:(?![{_INDIC}])[\W_])+")
_SINGLES_RUN = re.compile(rf"{NOT_AFTER_WORD}{WORD_CHAR}(?: {WORD_CHAR})+{NOT_BEFORE_WORD}")
# Thai, Lao, Burmese and Khmer are written without spaces between words, so their terms are
# matched like CJK ones.
_UNSPACED_RANGES = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_UNSPACED = re.compile(f"[{_UNSPACED_RANGES}]")
_NOT_CJK = re.compile(
    rf"[^0-9{_UNSPACED_RANGES}\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+"
)


@dataclass(frozen=True)
class NativeViews:
    """The forms of one text that non-Latin rules read."""

    #: words in their own scripts, folded as the module docstring says, single spaces
    words: str
    #: words glued from runs of single letters ("р е б е н о к" -> "ребенок")
    glued: tuple[str, ...]
    #: Han, kana (as hiragana), Hangul, Thai, Lao, Burmese, Khmer and digits only, nothing between
    cjk: str


def native_views(text: str) -> NativeViews:
    """The native and CJK views of `text` (see the module docstring)."""
    folded = _fold(text)
    words = _SEPARATORS.sub(" ", folded).strip()
    glued = tuple(match.group().replace(" ", "") for match in _SINGLES_RUN.finditer(words))
    if glued:
        words = _SINGLES_RUN.sub(lambda match: match.group().replace(" ", ""), words)
    return NativeViews(words=words, glued=glued, cjk=_NOT_CJK.sub("", folded))


def fold_term(term: str) -> str:
    """A rule-file term folded exactly like text, so lists are written in ordinary spelling."""
    return _SEPARATORS.sub(" ", _fold(term)).strip()


def scripts_of(text: str) -> frozenset[str]:
    """The scripts of the letters in `text`: "latin", "cyrillic", "arabic", "devanagari",
    "han", "kana", "hangul", or "other" for any script Limner has no rules for."""
    return frozenset(_script(ch) for ch in unicodedata.normalize("NFKC", text) if ch.isalpha())


def is_unspaced(text: str) -> bool:
    """Whether `text` has letters of Thai, Lao, Khmer or Burmese, scripts written without spaces
    between words (their terms are matched as substrings, like CJK ones)."""
    return _UNSPACED.search(text) is not None


def letter_scripts(text: str) -> Counter[str]:
    """How many letters of `text` each script holds (the names of `scripts_of`)."""
    return Counter(_script(ch) for ch in unicodedata.normalize("NFKC", text) if ch.isalpha())


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_map_char(ch) for ch in text).casefold()
    text = unicodedata.normalize("NFC", _DROPPED_MARKS.sub("", unicodedata.normalize("NFD", text)))
    text = text.translate(_LETTER_VARIANTS).translate(_KATAKANA)
    return _WORD.sub(_cyrillic_lookalikes, text)


def _cyrillic_lookalikes(match: re.Match[str]) -> str:
    word = match.group()
    if word.isascii():
        return word
    cyrillic = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in word if ch.isascii() and ch.isalpha())
    return word.translate(_LATIN_TO_CYRILLIC) if cyrillic and cyrillic >= latin else word


@functools.lru_cache(maxsize=8192)
def _map_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf" or ch in _INVISIBLE_EXTRA:
        return ""
    if category[0] in "CZ":
        return " "
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    return ch


@functools.lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    code = ord(ch)
    if ch.isascii() or 0x00C0 <= code <= 0x024F or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0900 <= code <= 0x097F:
        return "devanagari"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF:
        return "han"
    name = unicodedata.name(ch, "")
    if name.startswith(("LATIN", "MODIFIER LETTER SMALL")):
        return "latin"
    return "other"
