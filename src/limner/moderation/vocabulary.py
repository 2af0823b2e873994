"""Which ASCII words are ordinary words, and which are words of the rules' terms.

This module owns the vocabulary `canonical` reads to tell an evasion from a word: English words
from `wordfreq`'s word list (its data ships in the wheel; read once, about 30,000 words), and the
words of every Latin-script term in `lexicon` and the language files. It knows no rule.

`segment` splits a compound or hashtag ("youngteengirl") into words the way wordninja does (a
dynamic program over word costs from frequency ranks). It keeps a split only when one piece is a
term word (or its plural) and every other piece is an English word of five letters or more, a
common one (`COMMON_RANK`) of three or four, or one of the most frequent (`FUNCTION_RANK`) of
two: a split that finds no term changes nothing the rules read, and a place name is not to be
read as a term beside fragments ("kidderminster" is not "kid der mins ter").
"""

from __future__ import annotations

import functools
import math

from limner.moderation.normalize import normalize

__all__ = [
    "COMMON_RANK",
    "is_english",
    "is_ordinary",
    "is_phrase_word",
    "is_term_word",
    "is_word",
    "segment",
    "term_words",
    "wildcard_term",
]

#: the longest word the segmenter tries
_MAX_WORD = 20
#: a compound is split into at most this many pieces
_MAX_PIECES = 4
#: a piece of a split that is not a term word must be among this many most frequent English words
COMMON_RANK = 10000
#: a word of a multi-word term is a term word by itself only when it is rarer than this rank
PHRASE_WORD_RANK = 5000
#: a two-letter piece must be among this many most frequent English words
FUNCTION_RANK = 300


def is_word(token: str) -> bool:
    """Whether `token` (lower-case ASCII) is an English word or a term word."""
    return token in _english() or token in term_words()


def is_english(token: str) -> bool:
    """Whether `token` (lower-case ASCII) is one of wordfreq's English words."""
    return token in _english()


def is_ordinary(token: str) -> bool:
    """Whether `token` is a word a writer puts beside another on purpose: a word of three
    letters or more, "a" and "i", or a two-letter word among the most frequent ("in", "of", "no");
    not a fragment of a split word ("ch", "ee", "d")."""
    if len(token) > 2:
        return is_word(token)
    return token in ("a", "i") or (len(token) == 2 and token in _function_words())


@functools.cache
def _function_words() -> frozenset[str]:
    return frozenset(_ranked()[:FUNCTION_RANK])


def is_term_word(token: str) -> bool:
    """Whether `token` is a word of some Latin-script minor or sexual term, or a whole term
    written as one word ("highschool")."""
    return token in term_words()


def is_phrase_word(token: str) -> bool:
    """Whether `token` is any word of a Latin-script term ("little" of "little girl" too)."""
    return token in _phrase_words()


@functools.cache
def _phrase_words() -> frozenset[str]:
    words: set[str] = set(term_words())
    for term in _latin_terms():
        words.update(word for word in term.split() if len(word) > 2)
    return frozenset(words)


@functools.cache
def _latin_terms() -> tuple[str, ...]:
    from limner.moderation.languages import RULE_LANGUAGES
    from limner.moderation.lexicon import MINOR_TERMS, SEXUAL_TERMS
    from limner.moderation.rulesets import shipped_terms

    folded = []
    for term in (*MINOR_TERMS, *SEXUAL_TERMS, *shipped_terms(RULE_LANGUAGES)):
        if term.endswith("*") or (not term.isascii() and not _latin(term)):
            continue
        form = normalize(term)
        if form and form.replace(" ", "").isalpha():
            folded.append(form)
    return tuple(folded)


@functools.cache
def term_words() -> frozenset[str]:
    """Every Latin-script minor and sexual term of one word, every phrase term written as one
    word, and the words of phrase terms that are not everyday English, in `normalize`'s form."""
    from limner.moderation.languages import RULE_LANGUAGES
    from limner.moderation.lexicon import MINOR_TERMS, SEXUAL_TERMS
    from limner.moderation.rulesets import shipped_terms

    words: set[str] = set()
    for term in (*MINOR_TERMS, *SEXUAL_TERMS, *shipped_terms(RULE_LANGUAGES)):
        if term.endswith("*") or (not term.isascii() and not _latin(term)):
            continue
        folded = normalize(term)
        if not folded or not folded.replace(" ", "").isalpha():
            continue
        if " " in folded:
            # The words of a phrase ("under the age of consent") count only where they are not
            # everyday English: "the" and "little" alone are no evidence of a term.
            common = frozenset(_ranked()[:PHRASE_WORD_RANK])
            words.update(w for w in folded.split() if len(w) > 2 and w not in common)
        words.add(folded.replace(" ", ""))
    return frozenset(words)


def segment(token: str) -> list[str] | None:
    """`token` split into vocabulary words, if the best split has a term word; else None."""
    if len(token) > 60:
        return None
    costs = _costs()
    # best[i]: (cost, pieces) of the best split of token[:i]
    best: list[tuple[float, tuple[str, ...]]] = [(0.0, ())]
    for end in range(1, len(token) + 1):
        choice: tuple[float, tuple[str, ...]] = (math.inf, ())
        for start in range(max(0, end - _MAX_WORD), end):
            cost = costs.get(token[start:end])
            if cost is None:
                continue
            before, pieces = best[start]
            if before + cost < choice[0] and len(pieces) < _MAX_PIECES:
                choice = (before + cost, (*pieces, token[start:end]))
        best.append(choice)
    cost, pieces = best[-1]
    if math.isinf(cost) or len(pieces) < 2:
        return None
    terms = term_words()
    common = _common()
    if not any(_is_term_or_plural(piece) for piece in pieces) or not all(
        piece in terms or len(piece) >= 5 or _short_word(piece, common) for piece in pieces
    ):
        return None
    return list(pieces)


def _short_word(piece: str, common: frozenset[str]) -> bool:
    # three or four letters: a common word; two: one of the most frequent ("of", "in", "my")
    return piece in common if len(piece) >= 3 else piece in _ranked()[:FUNCTION_RANK]


def _is_term_or_plural(piece: str) -> bool:
    terms = term_words()
    return piece in terms or (piece.endswith("s") and piece[:-1] in terms)


def wildcard_term(word: str) -> str | None:
    """The term word `word` spells with "*" or "?" standing for one letter each ("n*de"), if
    exactly one term word fits; else None."""
    import re

    pattern = re.compile(re.escape(word).replace(r"\*", "[a-z]").replace(r"\?", "[a-z]"))
    found = [term for term in _terms_by_length().get(len(word), ()) if pattern.fullmatch(term)]
    return found[0] if len(found) == 1 else None


@functools.cache
def _terms_by_length() -> dict[int, tuple[str, ...]]:
    by_length: dict[int, list[str]] = {}
    for term in term_words():
        by_length.setdefault(len(term), []).append(term)
    return {length: tuple(sorted(terms)) for length, terms in by_length.items()}


@functools.cache
def _common() -> frozenset[str]:
    return frozenset(_ranked()[:COMMON_RANK])


@functools.cache
def _english() -> frozenset[str]:
    return frozenset(_ranked())


@functools.cache
def _ranked() -> tuple[str, ...]:
    from wordfreq import iter_wordlist

    return tuple(word for word in iter_wordlist("en", "small") if word.isascii() and word.isalpha())


@functools.cache
def _costs() -> dict[str, float]:
    """Word -> cost (Zipf's law, as wordninja): frequent words are cheap, one letter dear."""
    ranked = _ranked()
    scale = math.log(len(ranked))
    costs = {
        word: math.log((rank + 1) * scale)
        for rank, word in enumerate(ranked)
        if len(word) > 1 or word in ("a", "i")
    }
    # Term words cost like a moderately common word, so a split finds them.
    middle = math.log(5000 * scale)
    for word in term_words():
        costs[word] = min(costs.get(word, middle), middle)
    return costs


def _latin(term: str) -> bool:
    return all(not ch.isalpha() or ch.isascii() or "LATIN" in _name(ch) for ch in term)


def _name(ch: str) -> str:
    import unicodedata

    return unicodedata.name(ch, "")
