"""Real people: names with their aliases and transliterations, and misspellings of them.

This module owns matching a text against the real-people list (`data/real_people.txt`, one
person per line, aliases separated by "|"). Exact names and aliases in every script are matched
like the language rules' terms (`rulesets`); misspellings of Latin names are matched with
`rapidfuzz` on word windows as long as the name.

Why the fuzzy rule has the shape it has:

- Names written "=Name" in the list are matched exactly only: one letter from them is an
  ordinary word or phrase ("Madonna", "Blackpink" beside "black pink").
- Only names of two or more words, or single names of at least `MIN_SINGLE_NAME` letters, are
  compared: a short single name ("Obama") one letter off is too often an ordinary word.
- A window (as many words as some listed name has) is compared with `fuzz.ratio` (normalised
  Levenshtein similarity, 0 to 100) against the names one edit away from it, as written and
  glued to one word. Those names are found through an index of every name's one-deletion forms
  (`_OneEdit`), so the cost stays flat as the list grows (it is six times longer since issue 25).
- `FUZZY_THRESHOLD` was chosen on a benign corpus of ordinary names (tests/unit/moderation/
  benign_names.py: common first names alone and first-name + surname pairs from the supported
  languages; numbers in bench/results/real-people-fuzzy.md): above every benign score, below the
  score of every one-letter misspelling of a listed name of ten or more letters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from limner.moderation.normalize import normalize
from limner.moderation.rulesets import Analyzed, Terms

__all__ = ["FUZZY_THRESHOLD", "MIN_SINGLE_NAME", "RealPeople", "split_aliases"]

#: the least `fuzz.ratio` score at which a window is read as a listed name
FUZZY_THRESHOLD = 90.0
#: single-word names shorter than this are matched exactly only
MIN_SINGLE_NAME = 7


def split_aliases(lines: Iterable[str]) -> tuple[str, ...]:
    """Every name and alias of the list's lines ("Taylor Swift | Тейлор Свифт" -> both)."""
    return tuple(alias.strip() for line in lines for alias in line.split("|") if alias.strip())


class RealPeople:
    """The real-people matcher: exact in every script, fuzzy for Latin names."""

    def __init__(self, lines: Iterable[str], *, fuzzy: bool = True) -> None:
        aliases = split_aliases(lines)
        names = tuple(name.removeprefix("=") for name in aliases)
        self._exact = Terms(names)
        # "=Cher": exact only, a name one letter from ordinary words ("cheer", "black pink")
        latin = {
            normalize(name)
            for name in aliases
            if name.isascii() and not name.endswith("*") and not name.startswith("=")
        }
        candidates = [
            name for name in latin if name and (" " in name or len(name) >= MIN_SINGLE_NAME)
        ]
        self._sizes = sorted({name.count(" ") + 1 for name in candidates})
        self._near = _OneEdit()
        for name in candidates:
            self._near.add(name)
            self._near.add(name.replace(" ", ""))
        self._fuzzy = fuzzy and bool(candidates)

    def find(self, text: Analyzed) -> str | None:
        """The matched name or window, or None (for operator review, never for users)."""
        exact = self._exact.find(text)
        if exact or not self._fuzzy:
            return exact
        return self._find_fuzzy(text.ascii.words[0].split())

    def _find_fuzzy(self, words: Sequence[str]) -> str | None:
        for size in self._sizes:
            for start in range(len(words) - size + 1):
                window = " ".join(words[start : start + size])
                if self._near.near(window):
                    return window
        return None


class _OneEdit:
    """Names near a window, found by their one-deletion forms or a shared word, then scored.

    Every name is indexed under itself and each form with one letter deleted; a window one
    deletion, insertion, substitution or swap of neighbours from a name shares one of those
    forms with it (the symmetric deletion method). A window of several words is compared with
    the names sharing one of its words whole: one edit leaves all but one word of a name whole,
    and a name glued into one word ("taylorswfit") is a one-word window. Only those few names
    are scored with `fuzz.ratio`, so the cost does not grow with the list.
    """

    def __init__(self) -> None:
        self._index: dict[str, set[str]] = {}
        # names of several words by each of their words: "Marg Robbie" is two edits from
        # "Margot Robbie" but shares a word with it
        self._by_word: dict[str, set[str]] = {}

    def add(self, name: str) -> None:
        for form in _deletions(name):
            self._index.setdefault(form, set()).add(name)
        if " " in name:
            for word in name.split():
                if len(word) >= 3:
                    self._by_word.setdefault(word, set()).add(name)

    def near(self, window: str) -> bool:
        if len(window) < MIN_SINGLE_NAME:
            return False
        candidates: set[str] = set()
        if " " in window:
            # a name of several words one edit away keeps at least one of its words whole
            for word in window.split():
                candidates.update(self._by_word.get(word, ()))
        else:
            index = self._index
            for form in _deletions(window):
                candidates.update(index.get(form, ()))
        return any(fuzz.ratio(window, name, score_cutoff=FUZZY_THRESHOLD) for name in candidates)


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}
