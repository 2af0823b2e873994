"""Full names: a given name and a surname are taken as a real person's unless shown otherwise.

This module owns recognising a person's full name that is on no list (the safety line: "in the
adult style a person's full name is taken as a real person's unless shown otherwise"). The names
come from `faker`'s person providers: given names and surnames of 86 locales, in their own
scripts and romanised (Latin, Cyrillic, Greek, Hebrew, Arabic, Devanagari, Thai, Han, kana,
Hangul), about 31,000 given names and 30,000 surnames, read once into sets when the moderator is
built (0.1 s).

Why faker: it is kept (monthly releases), small enough to ship (a 2 MB wheel, pure Python), and
covers countries and scripts. `names-dataset` is far larger (hundreds of MB of data, a download
in itself); `gender-guesser` has given names only and was last released in 2016; `names` has US
census names only and was last released in 2013.

What counts as a full name, and why (false refusals of ordinary text are the risk):

- Two or three adjacent words with nothing but spaces (or a hyphen inside a word) between them:
  a given name, optionally a second given name, then a surname; or, for the East Asian order, a
  surname then a given name in a Chinese, Japanese or Korean script ("田中 花子", "김 민준").
- In a script with case, every word of it is capitalised ("Anna Kowalski", "Анна Смирнова"):
  "amber brown hair" and "rose gold" are words, "Rose in the garden" has no surname. Lower-case
  full names are caught by the notable-people list (`people`), not here.
- A capitalised Latin word after a listed given name that is no word of any supported language
  (wordfreq's lists) is a surname too: faker's lists hold a country's common surnames, not every
  family's ("Greta Gerwig", "Léa Seydoux").
- Not when both words are also ordinary English words ("Amber Brown", "Grace Park", "Rose
  Hill"): a capitalised tag list ("Golden Hour, Rose Gold") is not a name. The ordinary words are
  faker's English word list plus colours, materials and scene words (`_ORDINARY`).
- Not when the text says the person is invented ("a fictional", "original character", "OC",
  "made-up", "imaginary"), and never for the well-known fictional adults in
  `data/fictional_adults.txt` ("Lara Croft"): that is "shown otherwise".
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

__all__ = ["FullNames", "full_names"]

# words that say a named person is invented ("shown otherwise")
_FICTIONAL = re.compile(
    r"\b(?:fictional|fictitious|original character|oc|made up|made-up|invented|imaginary|"
    r"my character|an oc|original persona)\b",
    re.IGNORECASE,
)
# A word of letters, with an inner apostrophe or hyphen ("O'Neil", "Anna-Lena"); digits and
# other symbols end it.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_SPACE_ONLY = re.compile(r"[ \t\u3000]+")
# Scripts written without spaces inside a name but with one between its parts.
_EAST_ASIAN = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Ordinary words beside faker's English list: colours, materials, scene and style words that
# are also given names or surnames somewhere.
_ORDINARY = frozenset(
    (
        "amber",
        "ash",
        "autumn",
        "bay",
        "bell",
        "berry",
        "birch",
        "black",
        "blue",
        "bloom",
        "bond",
        "brook",
        "brown",
        "bush",
        "candy",
        "cherry",
        "chase",
        "clay",
        "coral",
        "cotton",
        "crystal",
        "dale",
        "dawn",
        "day",
        "diamond",
        "dove",
        "fox",
        "frost",
        "gold",
        "golden",
        "gray",
        "green",
        "grey",
        "hazel",
        "heart",
        "heather",
        "hill",
        "holly",
        "honey",
        "hope",
        "ivory",
        "ivy",
        "jade",
        "jet",
        "joy",
        "king",
        "lake",
        "lane",
        "lily",
        "love",
        "may",
        "meadow",
        "moon",
        "moss",
        "north",
        "page",
        "park",
        "pearl",
        "pine",
        "poppy",
        "rain",
        "raven",
        "red",
        "reed",
        "river",
        "robin",
        "rock",
        "rose",
        "ruby",
        "rush",
        "sage",
        "sand",
        "scarlet",
        "sea",
        "shadow",
        "silver",
        "sky",
        "snow",
        "sol",
        "star",
        "steel",
        "stone",
        "storm",
        "summer",
        "sun",
        "sunny",
        "sweet",
        "swift",
        "violet",
        "west",
        "white",
        "wild",
        "winter",
        "wolf",
        "wood",
        "young",
        "velvet",
        "satin",
        "silk",
        "lace",
        "leather",
        "denim",
        "neon",
        "crimson",
        "cream",
        "ginger",
        "mint",
        "olive",
        "peach",
        "plum",
        "sapphire",
        "emerald",
        "pink",
        "rosa",
        "bianca",
        "nero",
        "blanca",
        "luz",
        "paz",
        "angel",
        "angela",
        "baby",
        "belle",
        "bella",
        "beau",
        "grace",
        "faith",
        "glory",
        "happy",
        "lucky",
        "marina",
        "mercy",
        "miracle",
        "noble",
        "prince",
        "princess",
        "queen",
        "royal",
        "saint",
        "sugar",
        "ocean",
        "sonny",
        "dusk",
        "light",
        "night",
        "soft",
        "hard",
        "long",
        "short",
        "tall",
        "small",
        "big",
        "little",
        "fair",
        "sharp",
        "dark",
        "bright",
    )
)


class FullNames:
    """Recognises full names made of a listed given name and a listed surname."""

    def __init__(
        self,
        given: Iterable[str],
        surnames: Iterable[str],
        *,
        ordinary: Iterable[str] = (),
        fictional: Iterable[str] = (),
        known: frozenset[str] = frozenset(),
    ) -> None:
        #: words of the supported languages: a capitalised word that is none of them after a
        #: given name is a surname
        self._known = known
        self._given = frozenset(filter(_long_enough, map(_key, given)))
        self._surnames = frozenset(filter(_long_enough, map(_key, surnames)))
        self._ordinary = frozenset(_key(word) for word in ordinary) | _ORDINARY
        self._fictional = frozenset(" ".join(_key(w) for w in name.split()) for name in fictional)

    def find(self, text: str) -> str | None:
        """The first full name in `text` (for operator review, never for users), or None."""
        if _FICTIONAL.search(text):
            return None
        for run in _runs(text):
            found = self._in_run(run)
            if found is not None:
                return found
        return None

    def _in_run(self, words: list[str]) -> str | None:
        keys = [_key(word) for word in words]
        for start in range(len(words) - 1):
            for size in (3, 2):
                part = keys[start : start + size]
                if len(part) < size:
                    continue
                if self._is_name(part, words[start : start + size]):
                    return " ".join(words[start : start + size])
        return None

    def _is_name(self, keys: list[str], words: list[str]) -> bool:
        if " ".join(keys) in self._fictional:
            return False
        if not all(_capitalised(word) for word in words):
            return False
        if all(key in self._ordinary for key in keys):
            return False
        first, middle, last = keys[0], keys[1:-1], keys[-1]
        given, surnames = self._given, self._surnames
        western = (
            _listed(first, given)
            and (_listed(last, surnames) or self._unknown(last))
            and all(_listed(m, given) or _listed(m, surnames) for m in middle)
        )
        # surname first: Chinese, Japanese and Korean names in their own scripts
        eastern = (
            len(keys) == 2
            and _listed(first, surnames)
            and _listed(last, given)
            and bool(_EAST_ASIAN.search("".join(words)))
        )
        return western or eastern


    def _unknown(self, key: str) -> bool:
        return (
            len(key) >= 3
            and key.isascii()
            and key.isalpha()
            and key not in self._known
            and key not in self._ordinary
        )


@functools.cache
def full_names() -> FullNames:
    """The shipped recogniser: faker's names, its English words, the fictional adults list."""
    given: set[str] = set()
    surnames: set[str] = set()
    import faker.providers.person as person

    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute, value in vars(provider).items():
            if not isinstance(value, (tuple, list, dict, set, frozenset)):
                continue
            # "first_names_female", "first_romanized_names", "male_last_names", ...
            if "first_" in attribute and not attribute.startswith("formats"):
                given.update(_names(value))
            elif "last_" in attribute or "surname" in attribute:
                surnames.update(_names(value))
    from faker.providers.lorem.en_US import Provider as Lorem

    resource = resources.files("limner.moderation").joinpath("data", "fictional_adults.txt")
    lines = resource.read_text(encoding="utf-8").splitlines()
    fictional = [
        alias.strip()
        for line in lines
        if line.strip() and not line.startswith("#")
        for alias in line.split("|")
    ]
    return FullNames(
        given, surnames, ordinary=Lorem.word_list, fictional=fictional, known=_known_words()
    )


def _known_words() -> frozenset[str]:
    """The ASCII words of the supported languages' wordfreq lists (`_unknown` reads only ASCII
    surnames: a word with other letters is left to faker's lists)."""
    from wordfreq import get_frequency_list

    from limner.moderation.languages import SUPPORTED

    words: set[str] = set()
    for code in SUPPORTED:
        for bucket in get_frequency_list(code, "small"):
            words.update(word for word in bucket if word.isascii())
    return frozenset(words)


def _names(value: object) -> Iterable[str]:
    # Providers hold tuples of names or dicts of name -> weight; a pair tuple holds both forms.
    items = value.keys() if isinstance(value, dict) else value
    for item in items:  # type: ignore[attr-defined]
        if isinstance(item, str):
            yield item
        elif isinstance(item, tuple):
            yield from (part for part in item if isinstance(part, str))


def _runs(text: str) -> Iterable[list[str]]:
    """Runs of words separated by spaces only (a comma or a full stop ends a run)."""
    run: list[str] = []
    end = 0
    for match in _WORD.finditer(text):
        gap = text[end : match.start()]
        if run and not _SPACE_ONLY.fullmatch(gap):
            yield run
            run = []
        run.append(match.group())
        end = match.end()
    if run:
        yield run


def _capitalised(word: str) -> bool:
    if word.lower() == word.upper():
        return True  # a script without case (Han, Hangul, Arabic, Devanagari ...)
    return word[0].isupper()


def _long_enough(key: str) -> bool:
    # One letter is no Latin name ("A Man"); one syllable is a Korean or Chinese surname ("김").
    return len(key) >= 2 or bool(key and key.lower() == key.upper())


def _listed(key: str, names: frozenset[str]) -> bool:
    # "Anna-Lena", "Smith-Jones": the whole word or each of its parts
    return key in names or ("-" in key and all(part in names for part in key.split("-")))


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().replace("\u2019", "'")
