"""The canonical form of a text field: what an evasive spelling means, in plain ASCII words.

This module owns turning one field's text into the forms every rule reads besides the original
(`engine.analyze_field` adds their `normalize.analyze` views to the field's `Analyzed.ascii`, so
every rule, the age and people rules included, sees them without knowing they exist). It knows no
rule; it only reads the vocabulary (`vocabulary`) to tell words from evasions.

Steps, each the evasion it undoes:

1. Encodings: percent-encoding ("%6B%69%64") and HTML entities ("&#107;id") are decoded.
2. Emoji become their CLDR names (the `emoji` package), with the ones that stand for a child
   named as one ("young girl" for U+1F467 GIRL, "infant" for U+1F476 BABY).
3. Symbols and multi-character leetspeak become letters: euro, cent, pound and yen signs, "+"
   before a letter, "|<", "|\\|", "/\\/\\", "|-|", "()", "[)", "><" and the like. Single symbols
   inside words ("$", "@", "!", "|") and digits are `normalize`'s steps 5 and 7.
4. Each word with non-ASCII letters is folded by the Unicode confusables data (confusables.txt,
   shipped in `confusable_homoglyphs`), the data UTS #39's skeleton is built on: when every letter
   has an ASCII look-alike the word is a disguised Latin word ("kid" with a Greek kappa and a
   Cyrillic i, Cherokee or Lisu capitals). Otherwise it is a word of another script and is
   transliterated with `anyascii` ("παιδί" -> "paidi", "ребенок" -> "rebenok").
5. Words spelled in the NATO alphabet ("kilo india delta") are read as the word they spell.
6. Words split apart ("ch ild") are joined when the join is a listed term and a piece is a
   fragment, not two ordinary words ("born in" stays two words, not Icelandic "börnin");
   compounds and hashtags ("#youngteengirl") not in the vocabulary are split into vocabulary
   words (a dynamic program over word frequencies); a word written backwards is read forwards
   when it is not a word itself and its reversal is a listed term.

Two more forms are added when the text calls for them, each as its own form so that words of
different forms never run together: the text reversed (when a reversed word was found; "loohcs
hgih") and turned (upside-down) text turned back (a turned "teen" is "u", two turned "e"s and
a turned "t"), read right to left.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from urllib.parse import unquote

from anyascii import anyascii

from limner.moderation.vocabulary import (
    is_ordinary,
    is_phrase_word,
    is_term_word,
    is_word,
    segment,
    wildcard_term,
)

__all__ = ["canonical", "canonical_forms"]

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENTITY = re.compile(r"&#?\w+;")
# Emoji that stand for a child, by CLDR name: the name alone ("girl", "baby") is not a minor word
# in text, but the picture is of a child.
_EMOJI_MEANING = {
    "girl": "young girl",
    "boy": "young boy",
    "child": "child",
    "baby": "infant",
    "baby angel": "infant",
    "school": "school",
    "backpack": "school backpack",
}
_SKIN_TONE = re.compile(r"_[a-z_-]*skin_tone$")

# Multi-character letters, longest first so "|\/|" is read before "\/".
_SEQUENCES = (
    ("|\\/|", "m"),
    ("/\\/\\", "m"),
    ("\\/\\/", "w"),
    ("|\\|", "n"),
    ("|-|", "h"),
    ("|_|", "u"),
    ("(_)", "u"),
    ("|<", "k"),
    ("|(", "k"),
    ("|)", "d"),
    ("[)", "d"),
    ("|3", "b"),
    ("|2", "r"),
    ("()", "o"),
    ("><", "x"),
    ("/\\", "a"),
    ("\\/", "v"),
)
_SEQUENCE = re.compile("|".join(re.escape(seq) for seq, _ in _SEQUENCES))
_SEQUENCE_LETTER = dict(_SEQUENCES)
_SYMBOLS = str.maketrans(
    {
        "\u20ac": "e",  # euro sign
        "\u00a2": "c",  # cent sign
        "\u00a3": "l",  # pound sign
        "\u00a5": "y",  # yen sign
        "\u00a9": "c",
        "\u00ae": "r",
        "\u2202": "d",
        "\u0192": "f",
        "\u00a1": "i",
        "\u00a7": "s",
        "\u2020": "t",
        "\u00b0": "o",  # degree sign
    }
)
# "+" and "<" are letters only where a word continues on the other side ("+een", "<hild").
_PLUS = re.compile(r"\+(?=[A-Za-z])")
_ANGLE = re.compile(r"(?:(?<=[A-Za-z])|(?<![^\s]))<(?=[A-Za-z])")

_NATO = {
    "alfa": "a",
    "alpha": "a",
    "bravo": "b",
    "charlie": "c",
    "delta": "d",
    "echo": "e",
    "foxtrot": "f",
    "golf": "g",
    "hotel": "h",
    "india": "i",
    "juliet": "j",
    "juliett": "j",
    "kilo": "k",
    "lima": "l",
    "mike": "m",
    "november": "n",
    "oscar": "o",
    "papa": "p",
    "quebec": "q",
    "romeo": "r",
    "sierra": "s",
    "tango": "t",
    "uniform": "u",
    "victor": "v",
    "whiskey": "w",
    "whisky": "w",
    "xray": "x",
    "yankee": "y",
    "zulu": "z",
}
_NATO_WORD = "(?:" + "|".join(sorted(_NATO, key=len, reverse=True)) + ")"
# Three or more in a row: two ("hotel delta") are too often ordinary words.
# A comma ends a run: "kilo india delta, hotel room" is "kid" and a hotel room.
_NATO_RUN = re.compile(rf"\b{_NATO_WORD}(?:[\s.\-]+{_NATO_WORD}){{2,}}\b", re.IGNORECASE)

# Letters that only turned (upside-down) text uses (turned a, e, f, g, h, i, j, k, m, r, t, v, w, y,
# open o, the capitals), and how each reads turned back.
_TURNED = {
    "\ua781": "l",
    "\u0250": "a",
    "\u01dd": "e",
    "\u025f": "f",
    "\u0183": "g",
    "\u0265": "h",
    "\u1d09": "i",
    "\u027e": "j",
    "\u029e": "k",
    "\u026f": "m",
    "\u0279": "r",
    "\u0287": "t",
    "\u028c": "v",
    "\u028d": "w",
    "\u028e": "y",
    "\u0254": "c",
    "\u05df": "l",
    "\u0131": "i",
    "\u2200": "a",
    "\u2144": "y",
    "\u15e1": "d",
    "\u018e": "e",
    "\u2132": "f",
    "\u2141": "g",
    "\u017f": "j",
    "\u02e5": "l",
    "\u0500": "p",
    "\u1d1a": "r",
    "\u22a5": "t",
    "\u2229": "u",
    "\u039b": "v",
    "\u028d\u028d": "w",
}
_TURNED_ONLY = frozenset(ch for ch in _TURNED if len(ch) == 1 and ch not in "\u0131\u039b\u017f")
# rot13 announced as such ("rot13: grra"), hex bytes ("6B 69 64")
_ROT13 = re.compile(r"\brot ?13\b", re.IGNORECASE)
_ROT13_TABLE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM",
)
_HEX_NUMBER = re.compile(r"(?<![0-9A-Za-z])0[xX](?P<h>[0-9A-Fa-f]{1,4})(?![0-9A-Za-z])")
_HEX_RUN = re.compile(r"\b[0-9A-Fa-f]{2}(?:[ :]?[0-9A-Fa-f]{2}){2,}\b")
# a letter hidden by a symbol that stands for any letter ("n*de")
_WILDCARD = re.compile(r"\b[a-z]*[*?][a-z*?]*\b")
# Latin letters that read as another letter when turned.
_TURNED_LATIN = str.maketrans({"b": "q", "q": "b", "d": "p", "p": "d", "n": "u", "u": "n"})

_WORD = re.compile(r"[^\W_]+(?:[\u0300-\u036f\u0900-\u0dff\u0e00-\u0e7f]+[^\W_]*)*")
_TOKEN = re.compile(r"[a-z0-9]+")
_INSIDE_I = re.compile(r"(?<=[a-z])[!|1](?=[a-z])")
#: compounds shorter than this are left whole
MIN_COMPOUND = 6
#: words shorter than this are never read backwards
MIN_REVERSED = 4


def canonical(text: str) -> str:
    """The canonical form: its forms joined with " / " (for display; rules read each form)."""
    return " / ".join(canonical_forms(text))


@functools.lru_cache(maxsize=4096)
def canonical_forms(text: str) -> tuple[str, ...]:
    """The canonical form of `text` and, where it applies, the reversed and turned-back forms."""
    decoded = _decoded(text)
    letters = _letters(decoded)
    forms = [_words(letters)]
    if _has_reversed_term(letters):
        forms.append(_words(_letters(decoded[::-1])))
    if any(ch in _TURNED_ONLY for ch in decoded):
        # Read right to left (turned text proper) and left to right (letters turned in place).
        turned = _turned_back(decoded)
        for letters_ in (_letters(turned), _letters(turned[::-1])):
            forms.append(_words(letters_, backwards=True))
    return tuple(dict.fromkeys(form for form in forms if form))


def _decoded(text: str) -> str:
    if "%" in text and _PERCENT.search(text):
        text = unquote(text)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if _ROT13.search(text):
        text = f"{text} {_ROT13.sub(' ', text).translate(_ROT13_TABLE)}"
    if "0x" in text or "0X" in text:
        # a hexadecimal number is a number ("age 0x1E" is 30), not letters for leetspeak
        text = _HEX_NUMBER.sub(lambda match: str(int(match["h"], 16)), text)
    return _HEX_RUN.sub(_hex_letters, text)


def _hex_letters(match: re.Match[str]) -> str:
    digits = re.sub(r"[ :]", "", match.group())
    decoded = bytes.fromhex(digits).decode("latin-1") if len(digits) % 2 == 0 else ""
    return decoded if decoded.isalpha() and decoded.isascii() else match.group()


def _letters(text: str) -> str:
    """Steps 2-5: emoji, symbols, other scripts and NATO spelling, to lower-case ASCII."""
    if not text.isascii():
        text = _emoji_names(unicodedata.normalize("NFKC", text))
        text = text.translate(_SYMBOLS)
    text = _SEQUENCE.sub(lambda match: _SEQUENCE_LETTER[match.group()], text)
    text = _ANGLE.sub("c", _PLUS.sub("t", text))
    if not text.isascii():
        text = _WORD.sub(lambda match: _ascii_word(match.group()), text)
        text = anyascii(text)
    text = _INSIDE_I.sub("i", text.lower())
    if "*" in text or "?" in text:
        text = _WILDCARD.sub(_wildcard_word, text)
    return _NATO_RUN.sub(_nato_word, text)


def _wildcard_word(match: re.Match[str]) -> str:
    word = match.group()
    letters = word.replace("*", "").replace("?", "")
    if len(letters) < 2 or len(word) > 20:
        return word
    found = wildcard_term(word)
    return found if found is not None else word


def _emoji_names(text: str) -> str:
    import emoji

    return emoji.replace_emoji(text, replace=_emoji_name)


def _emoji_name(chars: str, data: dict[str, str]) -> str:
    name = _SKIN_TONE.sub("", str(data.get("en", "")).strip(":")).replace("_", " ").lower()
    return f" {_EMOJI_MEANING.get(name, name)} "


def _ascii_word(word: str) -> str:
    """Step 4 for one word: a confusable spelling of a Latin word, or a transliteration."""
    if word.isascii():
        return word
    folded = "".join(_confusable(ch) for ch in _without_marks(word))
    if folded.isascii() and folded.isalnum():
        return folded
    return anyascii(word)


def _without_marks(word: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )


@functools.lru_cache(maxsize=8192)
def _confusable(ch: str) -> str:
    if ch.isascii():
        return ch
    return _confusables().get(ch, ch)


@functools.cache
def _confusables() -> dict[str, str]:
    """Each character with an ASCII letter or digit among its confusables -> that character.

    confusable_homoglyphs lists a character's look-alikes from Unicode's confusables.txt; where
    one of them is ASCII, that is the prototype the UTS #39 skeleton reads it as (letters only:
    the data maps "0" to "O", which `normalize` handles as leetspeak in words only).
    """
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for ch, homoglyphs in confusables_data.items():
        if ch.isascii():
            continue
        ascii_letters = [h["c"] for h in homoglyphs if h["c"].isascii() and h["c"].isalnum()]
        if ascii_letters:
            table[ch] = ascii_letters[0].lower()
    return table


def _nato_word(match: re.Match[str]) -> str:
    letters = (_NATO[word] for word in re.split(r"[\s.\-]+", match.group()) if word)
    return f" {''.join(letters)} "


def _turned_back(text: str) -> str:
    """Upside-down text read again: each letter turned back, right to left."""
    turned = "".join(_TURNED.get(ch, ch) for ch in text)
    return turned.translate(_TURNED_LATIN)[::-1]


def _words(text: str, *, backwards: bool = False) -> str:
    """Step 6 on lower-case ASCII: split words joined, compounds split, reversed words read.

    `backwards`: any word that is a word only when reversed is read reversed (turned text mixes
    words turned in place with words turned and reversed)."""
    tokens = _glue_singles(_TOKEN.findall(text))
    out: list[str] = []
    index = 0
    while index < len(tokens):
        joined = _join_split(tokens, index)
        if joined is not None:
            word, used = joined
            out.append(word)
            index += used
            continue
        token = tokens[index]
        index += 1
        if len(token) >= MIN_COMPOUND and not token.isdigit() and not is_word(token):
            pieces = segment(token)
            if pieces is not None:
                out.extend(pieces)
                continue
        if _reversed_term(token) or (
            backwards and len(token) >= 3 and not is_word(token) and is_word(token[::-1])
        ):
            out.append(token[::-1])
            continue
        out.append(token)
    return " ".join(out)


def _glue_singles(tokens: list[str]) -> list[str]:
    """Runs of three or more single letters become one word ("d l i h c" -> "dlihc")."""
    out: list[str] = []
    run: list[str] = []
    for token in (*tokens, ""):
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if token:
            out.append(token)
    return out


def _join_split(tokens: list[str], index: int) -> tuple[str, int] | None:
    """A term split into two or three pieces ("ch ild", "t ee n"), and how many pieces."""
    for size in (3, 2):
        pieces = tokens[index : index + size]
        if len(pieces) < size or any(piece.isdigit() for piece in pieces):
            continue
        word = "".join(pieces)
        if not is_phrase_word(word):
            continue
        # Two real words side by side are two words: join only when a piece is a fragment, not
        # a word or a rare short one ("ch ild", "mi nor"), not "born in" ("bornin", Icelandic
        # for "the children") or "men or" ("menor", Spanish for "a minor").
        if all(is_ordinary(piece) for piece in pieces):
            continue
        return word, size
    return None


def _reversed_term(token: str) -> bool:
    # Three letters are too few: "dik" is Dutch for "fat", not "kid" backwards.
    return len(token) >= MIN_REVERSED and not is_word(token) and is_term_word(token[::-1])


def _has_reversed_term(letters: str) -> bool:
    """A reversed term, or two reversed words ("dlo sraey"): the text may be written backwards."""
    tokens = _glue_singles(_TOKEN.findall(letters))
    if any(_reversed_term(token) for token in tokens):
        return True
    backwards = sum(
        1 for token in tokens if len(token) >= 3 and not is_word(token) and is_word(token[::-1])
    )
    return backwards >= 2
