"""Word lists and the whole-word matcher that reads them against normalised text.

This module owns *which* words are indicators (minor-coded words, sexual or nudity wording) and
*how* a list is matched (`TermSet`). Real-people names live in `data/real_people.txt`; operators add
names and blocked terms through `RuleModerator`'s arguments (see `read_term_file`).

Matching rules, and why:

- Terms are normalised exactly like the text, so a term list is written in plain English.
- Whole words only, with an optional plural "s"/"es": "kid" and "kids" match, "kidney", "skid",
  "kidding" and "childish" do not.
- Each letter may repeat ("kiiid", "teeeen"), but a doubled letter must stay doubled, so "ten"
  never matches "teen".
- "l" and "i" are the same letter for matching, because "1", "I" and "l" stand in for each other
  ("10li", "Ioli", "chi1d" after leet folding).
- A multi-word term also matches written as one word ("highschool", "#taylorswift").
- Inside a word glued from single characters ("a k i d" -> "akid") a term may match anywhere,
  because spacing out letters is an evasion, not an ordinary word.

Judgement calls, documented here because the lists encode them:

- "baby" alone is not a minor indicator: in this product it is overwhelmingly an endearment in
  captions ("miss you baby") or a colour or hair term ("baby blue", "baby bangs"). A baby as a
  person is caught by "babies", "infant", "newborn", "toddler", "N months old" and by a determiner
  before it ("a baby", "her baby", "holding a baby"), unless a colour or hair word follows.
- "teen", "teenage" and "teenager" are minor indicators (teens include 13 to 17); in a non-adult
  style they only matter beside sexual wording, so "teenage mutant turtles" is fine there.
- "minor" is a minor indicator; "a minor chord" is only refused in the adult style or beside
  sexual wording.
- "girl" and "boy" alone are not; "little girl", "young boy", "schoolgirl" are.
- "school" alone is not; "high school", "school uniform", "kindergarten" and the like are.
- "nude" counts as nudity wording even as a colour ("nude heels"): it only matters beside a minor
  indicator, where refusing is the safe side. Swimwear ("bikini") is not nudity wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from limner.moderation.normalize import TextViews, normalize

__all__ = [
    "ALLOWED_PHRASES",
    "MINOR_PATTERNS",
    "MINOR_TERMS",
    "NEGATED_MINOR",
    "SEXUAL_PATTERNS",
    "SEXUAL_TERMS",
    "TermSet",
    "mask_allowed",
    "mask_negated",
    "read_term_file",
    "shipped_real_people",
]

MINOR_TERMS: tuple[str, ...] = (
    # children
    "child",
    "children",
    "childs",
    "childlike",
    "child like",
    "child bride",
    "kid",
    "kiddo",
    "kiddie",
    "kiddy",
    "little kid",
    "small child",
    "youngster",
    "juvenile",
    "toddler",
    "infant",
    "newborn",
    "babies",
    "preschooler",
    "kindergartner",
    "kindergartener",
    # minors and teens
    "minor",
    "underage",
    "underaged",
    "under age",
    "teen",
    "teenie",
    "teenager",
    "teenage",
    "teenaged",
    "preteen",
    "tween",
    "tweenager",
    "adolescent",
    "pubescent",
    "prepubescent",
    "sweet sixteen",
    "barely legal",
    "jailbait",
    "jail bait",
    # girls and boys
    "young girl",
    "young boy",
    "little girl",
    "little boy",
    "lil girl",
    "lil boy",
    "little sister",
    "little brother",
    "girl scout",
    "boy scout",
    "cub scout",
    # school-age wording
    "schoolgirl",
    "schoolboy",
    "schoolkid",
    "schoolchild",
    "school girl",
    "school boy",
    "school kid",
    "school child",
    "school uniform",
    "elementary school",
    "elementary schooler",
    "middle school",
    "middle schooler",
    "high school",
    "high schooler",
    "primary school",
    "grade school",
    "grade schooler",
    "junior high",
    "kindergarten",
    "preschool",
    "nursery school",
    # minor-coded slang
    "loli",
    "lolicon",
    "lolita",
    "shota",
    "shotacon",
    "pedo",
    "paedo",
    "pedophile",
    "paedophile",
    "pedophilia",
    "paedophilia",
    "ageplay",
    "age play",
)

#: regular expressions on the plain word view (not the l/i-folded key), for words that are only
#: minor indicators in some company
MINOR_PATTERNS: tuple[str, ...] = (
    r"\b(?:a|an|the|her|his|their|our|holding|holds|carrying|with|newborn|infant|naked|nude|"
    r"bare|undressed) baby\b"
    r"(?! (?:blue|pink|doll|dolls|oil|face|faced|hair|hairs|bangs|powder|soft|smooth|bump|"
    r"shower|lotion|yellow|green|breath)\b)",
)

#: phrases that hold a minor word but name no minor ("minor league", "Kinder chocolate"): masked
#: in the word views before the minor rules read them (`mask_allowed`)
ALLOWED_PHRASES: tuple[str, ...] = (
    # Kept specific: a mask is a way around the minor words too ("a teen idol ..." is not
    # masked, only the poster on the wall).
    "minor league",
    "minor leagues",
    "minor chord",
    "minor key",
    "minor scale",
    "teenage mutant ninja turtles",
    "teen idol posters",
    "teen idol poster",
    "toddler free weekend",
    "child free weekend",
    "kid free weekend",
    "child free zone",
    "kinder chocolate",
    "kinder egg",
    "kinder eggs",
    "kinder surprise",
    "kinder bueno",
    "school bus yellow",
)

#: regular expressions on the plain word view for nudity wording that is only that in some
#: company ("nothing on" but not "nothing on the table")
SEXUAL_PATTERNS: tuple[str, ...] = (
    r"\bnothing on\b(?! (?:the|a|an|his|her|their|my|your|our|tv|television|it|them|that|this|"
    r"me|its|hand|screen|radio|earth|him|us|you|which|what|record|file|paper|camera|film)\b)",
)

SEXUAL_TERMS: tuple[str, ...] = (
    "nude",
    "nudity",
    "nudist",
    "naked",
    "nakey",
    "nsfw",
    "explicit",
    "topless",
    "bottomless",
    "sex",
    "sexy",
    "sexual",
    "sexually",
    "sexualized",
    "sexualised",
    "erotic",
    "erotica",
    "porn",
    "porno",
    "pornographic",
    "pornography",
    "xxx",
    "hentai",
    "ecchi",
    "lewd",
    "lingerie",
    "undressed",
    "undressing",
    "undress",
    "unclothed",
    "disrobed",
    "no clothes",
    "without clothes",
    "no clothing",
    "stripper",
    "striptease",
    "strip tease",
    "stripping",
    "seductive",
    "seductively",
    "sensual",
    "sultry",
    "boudoir",
    "fetish",
    "bdsm",
    "kinky",
    "horny",
    "aroused",
    "nipple",
    "breasts",
    "boobs",
    "genitals",
    "genitalia",
    "cleavage",
    "panties",
    "underwear",
    "thong",
    "bra",
    "onlyfans",
    "skinny dipping",
    "in the nude",
)


_ALLOWED = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(sorted((re.escape(normalize(p)) for p in ALLOWED_PHRASES), key=len, reverse=True))
    + r")(?![a-z0-9])"
)


#: a minor word denied ("not a child", "no minors", "nobody's little girl anymore"); masked only
#: where the same text states an adult's age (`engine`), so a denial alone unlocks nothing
NEGATED_MINOR = re.compile(
    r"(?<![a-z0-9])(?:no|not|not a|not an|not some|nobody s|nobodys|no longer a|never a|"
    r"definitely not a|certainly not a|isn t a|isnt a|is not a|no more a|not even a) "
    r"(?:little |young |underage )?(?:minors?|child|children|kids?|teens?|teenagers?|"
    r"schoolgirls?|schoolboys?|little girl|little boy|girls? under 18|underage|youngsters?)"
    r"(?: anymore| any more| around| allowed| present| involved| in sight)?(?![a-z0-9])"
)


def mask_negated(views: TextViews) -> TextViews:
    """`views` with denied minor words (`NEGATED_MINOR`) masked in the word views."""
    if not any(NEGATED_MINOR.search(view) for view in views.words):
        return views
    return TextViews(
        words=tuple(NEGATED_MINOR.sub("#", view) for view in views.words),
        glued=views.glued,
        ages=views.ages,
    )


def mask_allowed(views: TextViews) -> TextViews:
    """`views` with the `ALLOWED_PHRASES` masked in the word views (the minor rules read this)."""
    if not any(_ALLOWED.search(view) for view in views.words):
        return views
    return TextViews(
        words=tuple(_ALLOWED.sub("#", view) for view in views.words),
        glued=views.glued,
        ages=views.ages,
    )


def read_term_file(path: str | Path) -> tuple[str, ...]:
    """Terms from a text file: one per line; blank lines and lines starting with '#' skipped."""
    text = Path(path).read_text(encoding="utf-8")
    return _parse_terms(text)


def shipped_real_people() -> tuple[str, ...]:
    """The real-people names shipped in `limner/moderation/data/real_people.txt`."""
    resource = resources.files("limner.moderation").joinpath("data", "real_people.txt")
    return _parse_terms(resource.read_text(encoding="utf-8"))


def _parse_terms(text: str) -> tuple[str, ...]:
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


class TermSet:
    """A compiled whole-word matcher for a list of terms (and optional extra regexes).

    A term ending in "*" is a stem: it matches any word that starts with it ("nackt*").
    """

    def __init__(self, terms: Iterable[str], *, patterns: Iterable[str] = ()) -> None:
        terms = tuple(terms)
        stems = sorted(
            {_key(normalize(term[:-1])) for term in terms if term.endswith("*")} - {""},
            key=len,
            reverse=True,
        )
        whole = [term for term in terms if not term.endswith("*")]
        keys = sorted({_key(normalize(term)) for term in whole} - {""}, key=len, reverse=True)
        # A multi-word term also matches written as one word ("highschool").
        keys += sorted({key.replace(" ", "") for key in keys if " " in key}, key=len, reverse=True)
        self._empty = not keys and not stems
        body = _alternation(keys + stems)
        self._words = re.compile(
            rf"(?<![a-z0-9])(?:(?:{_alternation(keys)})(?:e?s)?|(?:{_alternation(stems)})[a-z0-9]*+)"
            r"(?![a-z0-9])"
        )
        self._anywhere = re.compile(rf"(?:{body})")
        self._patterns = tuple(re.compile(pattern) for pattern in patterns)

    def __bool__(self) -> bool:
        return not (self._empty and not self._patterns)

    def matches(self, views: TextViews) -> bool:
        """Whether any view of the text contains one of the terms."""
        return self.find(views) is not None

    def find(self, views: TextViews) -> str | None:
        """The first matched text (normalised), or None; for operator review, never for users."""
        if not self:
            return None
        for view in views.words:
            match = self._words.search(_key(view))
            if match:
                return match.group()
        for word in views.glued:
            match = self._anywhere.search(_key(word))
            if match:
                return match.group()
        for pattern in self._patterns:
            for view in views.words:
                match = pattern.search(view)
                if match:
                    return match.group()
        return None


def _key(view: str) -> str:
    # "l" and "i" are one letter for matching: "1", "I" and "l" stand in for each other.
    return view.replace("l", "i")


def _alternation(keys: list[str]) -> str:
    """One regex for all keys, grouped by first letter.

    Python's regex engine tries alternatives one by one; grouping lets it reject a word after one
    comparison per first letter instead of one per term (about five times faster on long prompts).
    """
    by_first: dict[str, list[str]] = {}
    for key in keys:
        by_first.setdefault(key[0], []).append(_letters_may_repeat(key)[1:])
    if not by_first:
        return r"(?!)"
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items())


def _letters_may_repeat(key: str) -> str:
    """'teen' -> 'tt*+eee*+nn*+': each run of a letter may grow but never shrink.

    The repeats are possessive: a run in a term is maximal, so the text's whole run can be taken
    at once, and no backtracking means no pathological inputs ("l l l l ..." once took minutes
    with plain `+`). Keys hold only [a-z0-9 ], so nothing needs escaping and the pattern starts
    with the key's first letter.
    """
    return "".join(
        " " if run[0] == " " else f"{run}{run[0]}*+"
        for run in (match.group() for match in re.finditer(r"(.)\1*", key))
    )
