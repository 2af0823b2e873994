"""Indirect indicators: nudity euphemisms and what implies a child without the plain word.

This module owns the lists in `data/indicators.toml` (euphemisms such as "birthday suit",
body-development wording, age-coded objects and settings, relationship terms that imply a child,
in every supported language) and the list of well-known fictional characters who are minors
(`data/minor_characters.txt`). They are matched like the language rule sets' terms
(`rulesets.Terms`), against every text whatever its language. `engine` decides what they refuse:
they count exactly like the shipped minor words and nudity wording.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from limner.moderation.lexicon import _parse_terms
from limner.moderation.people import split_aliases
from limner.moderation.rulesets import Analyzed, Terms

__all__ = ["Indicators", "load_indicators"]


@dataclass(frozen=True)
class Indicators:
    """The compiled indirect indicators."""

    minor: Terms
    sexual: Terms
    #: well-known fictional characters who are minors, with their aliases
    characters: Terms

    def find_minor(self, text: Analyzed) -> tuple[str, str] | None:
        """("minor_term", what matched), or None."""
        term = self.minor.find(text)
        if term:
            return "minor_term", term
        character = self.characters.find(text)
        return ("minor_term", character) if character else None

    def find_sexual(self, text: Analyzed) -> str | None:
        return self.sexual.find(text)


@functools.cache
def load_indicators() -> Indicators:
    """The shipped lists, compiled once per process."""
    data = tomllib.loads(_read("indicators.toml"))
    garments = data["sexual"].pop("garments", [])
    sexual = [
        expanded
        for terms in data["sexual"].values()
        for term in terms
        for expanded in _expand(term, garments)
    ]
    minor = [term for terms in data["minor"].values() for term in terms]
    characters = split_aliases(_parse_terms(_read("minor_characters.txt")))
    return Indicators(minor=Terms(minor), sexual=Terms(sexual), characters=Terms(characters))


def _expand(term: str, garments: list[str]) -> list[str]:
    return [term.format(garment=g) for g in garments] if "{garment}" in term else [term]


def _read(name: str) -> str:
    resource = resources.files("limner.moderation").joinpath("data", name)
    return resource.read_text(encoding="utf-8")
