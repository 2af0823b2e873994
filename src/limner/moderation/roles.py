"""Real people named by title, role or description: "the lead singer of ...", "the queen of ...".

This module owns reading a reference to one real person that names no one: a title of a real
office or a royal title with a real country ("the president of France", "the British prime
minister", "the princess of Monaco", "the pope"), a role in a named group ("the lead singer of
Coldplay", "the drummer of Metallica", "the star of Barbie", "the wife of President ..."), or a
description by deeds ("the actress who played ...").
Such a reference counts like a listed name (`engine`: `real_person_*`).

Why the shapes are narrow (false refusals of fiction are the risk): a title counts with a real
country or nationality only, so "the queen of hearts", "the princess of the castle" and "the king
of the jungle" stay fiction; a band's role counts with any group but a generic one ("the lead
singer of a band" is nobody in particular), and a role anyone can have counts only before a
capitalised name ("the daughter of the innkeeper" is fiction, "the daughter of Obama" is not).
"""

from __future__ import annotations

import re

from limner.moderation.normalize import TextViews

__all__ = ["find_role", "mentions_person", "without_generic_roles"]

# fmt: off
_PLACES = (
    "afghanistan", "albania", "algeria", "america", "andorra", "angola", "argentina", "armenia",
    "australia", "austria", "azerbaijan", "bahrain", "bangladesh", "belarus", "belgium",
    "bhutan", "bolivia", "bosnia", "brazil", "britain", "great britain", "brunei", "bulgaria",
    "cambodia", "canada", "chile", "china", "colombia", "croatia", "cuba", "cyprus", "czechia",
    "denmark", "ecuador", "egypt", "england", "estonia", "ethiopia", "finland", "france",
    "georgia", "germany", "ghana", "greece", "hungary", "iceland", "india", "indonesia", "iran",
    "iraq", "ireland", "israel", "italy", "jamaica", "japan", "jordan", "kazakhstan", "kenya",
    "korea", "north korea", "south korea", "kuwait", "latvia", "lebanon", "liechtenstein",
    "lithuania", "luxembourg", "malaysia", "mexico", "monaco", "mongolia", "morocco", "nepal",
    "netherlands", "holland", "new zealand", "nigeria", "norway", "oman", "pakistan",
    "palestine", "peru", "philippines", "poland", "portugal", "qatar", "romania", "russia",
    "saudi arabia", "scotland", "serbia", "singapore", "slovakia", "slovenia", "south africa",
    "spain", "sri lanka", "sweden", "switzerland", "syria", "taiwan", "thailand", "tonga",
    "turkey", "turkiye", "ukraine", "united kingdom", "uk", "united states", "us", "usa",
    "uruguay", "venezuela", "vietnam", "wales", "the world", "the free world", "europe", "eu",
    "european union", "european commission", "united nations", "nato", "vatican", "brunei",
    "dubai", "abu dhabi", "the emirates", "uae", "bhutan", "eswatini", "lesotho", "cambridge",
    "sussex", "york", "edinburgh", "kent", "cornwall", "windsor", "asturias", "sweden",
)
_NATIONALITIES = (
    "american", "british", "english", "scottish", "welsh", "irish", "french", "german",
    "italian", "spanish", "portuguese", "dutch", "belgian", "swiss", "austrian", "swedish",
    "norwegian", "danish", "finnish", "polish", "czech", "hungarian", "romanian", "greek",
    "turkish", "russian", "ukrainian", "belarusian", "serbian", "israeli", "iranian", "saudi",
    "emirati", "qatari", "egyptian", "moroccan", "nigerian", "kenyan", "south african",
    "indian", "pakistani", "chinese", "japanese", "korean", "south korean", "north korean",
    "taiwanese", "thai", "vietnamese", "filipino", "indonesian", "malaysian", "australian",
    "canadian", "mexican", "brazilian", "argentine", "argentinian", "colombian", "venezuelan",
    "cuban", "us", "uk", "monegasque", "jordanian",
)
# fmt: on
_PLACE = rf"(?:the )?(?:{'|'.join(sorted(set(_PLACES), key=len, reverse=True))})"
_NATIONALITY = rf"(?:{'|'.join(sorted(set(_NATIONALITIES), key=len, reverse=True))})"

# titles of one real office or royal rank
_TITLE = (
    r"(?:president|vice president|prime minister|deputy prime minister|chancellor|premier|"
    r"king|queen|queen consort|king consort|prince|princess|crown prince|crown princess|"
    r"duke|duchess|emperor|empress|first lady|first daughter|first son|royal|royals|monarch|"
    r"sultan|emir|sheikh|sheikha|crown princes|supreme leader|dictator|head of state|"
    r"foreign minister|defence minister|defense minister|speaker|secretary of state|"
    r"ruling family|royal family|leader)"
)
# roles that only a band or a group has: "the lead singer of" anything but a generic group
_BAND_ROLE = (
    r"(?:lead singer|lead vocalist|main vocalist|frontman|frontwoman|front woman|front man|"
    r"lead guitarist|guitarist|drummer|bassist|keyboardist|lead rapper|main rapper|"
    r"youngest member|oldest member|maknae|main dancer|visual)"
)
# roles anyone can have: they name a real person with a proper name after them only
# ("the wife of President ...", "the star of Barbie"; not "the daughter of the innkeeper")
_ROLE = (
    r"(?:singer|vocalist|rapper|member|leader|ceo|founder|co-founder|cofounder|owner|chairman|"
    r"chairwoman|star|lead actress|lead actor|actress|actor|host|presenter|anchor|captain|"
    r"quarterback|striker|goalkeeper|coach|wife|husband|girlfriend|boyfriend|daughter|son|"
    r"widow|ex-wife|ex-husband|mother|father|sister|brother)"
)
# the object of a band role that is nobody in particular
_GENERIC = (
    r"(?:a|an|some|any|my|his|her|their|our|your|this|that|one|band|the band|group|the group|"
    r"local|a local|the local|fictional|imaginary|fantasy|garage|the garage|rock band|"
    r"the rock band|cover band|the cover band|wedding band|the wedding band|choir|the choir|"
    r"orchestra|the orchestra|school band|the school band)"
)
# a group that is nobody in particular, spelled out ("a band", "the local rock band"), where the
# scene goes on after it, not a name or a description ("a band called ...", "the band Muse")
_GENERIC_GROUP = re.compile(
    rf"\bthe ({_BAND_ROLE}) (?:of|from|in) (?:a|an|some|any|my|his|her|their|our|your|this|"
    r"that|one|the)? ?(?:(?:local|garage|rock|pop|punk|indie|jazz|metal|cover|tribute|wedding|"
    r"school|small|little|new|young|fictional|imaginary|fantasy|unknown|amateur|student|"
    r"college|boy|girl|country|folk|street|bar|pub|club) )*(?:band|group|choir|orchestra|"
    r"quartet|trio|duo|ensemble)(?=\s*$|\s*[,.;:!?)]| (?:on|in|at|with|by|and|near|under|"
    r"during|after|before|posing|sitting|standing|lying|relaxing|backstage)\b)",
    re.IGNORECASE,
)
_PROPER = r"[A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]"
_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        # "the president of France", "the queen of England", "the princess of Monaco"
        rf"\b(?:the )?(?:current |former |late |reigning |sitting |incumbent |new |young )?"
        rf"{_TITLE} of {_PLACE}\b",
        # "the British prime minister", "the current US president", "the japanese princess"
        rf"\bthe (?:current |former |late |reigning |sitting |new |young )?{_NATIONALITY} "
        rf"{_TITLE}\b",
        # "the current queen consort", "the reigning king", "the late pope"
        r"\bthe (?:current|reigning|sitting|late|former|present) (?:queen|king|queen consort|"
        r"king consort|pope|emperor|empress|first lady|president|prime minister|chancellor|"
        r"crown prince|crown princess|prince of wales|princess of wales|monarch)\b",
        # "the pope", "the dalai lama", "the first lady", "the king of pop"
        r"\b(?:the pope|the dalai lama|the first lady|the king of pop|the queen of pop|"
        r"the queen of soul|the king of rock and roll|the prince of wales|the princess of wales|"
        r"the duchess of sussex|the duke of sussex|the duchess of cambridge|the queen mother|"
        r"the british royal family|the royal couple|the crown princess|the crown prince)\b",
        # "the lead singer of coldplay", "the drummer of metallica"
        rf"\bthe (?:current |former |late |new )?{_BAND_ROLE} (?:of|from|in) "
        rf"(?!{_GENERIC}\b)[a-z0-9]+",
        # "the actress who played Hermione", "the singer who sang ...", "the model who dated"
        rf"\bthe (?:{_NATIONALITY} )?(?:actress|actor|singer|rapper|model|star|influencer|"
        r"youtuber|streamer|tiktoker|comedian|athlete|presenter|host|celebrity|popstar|pop star|"
        r"idol|footballer|"
        r"tennis player|gymnast|swimmer) (?:who|that) (?:played|plays|portrayed|portrays|"
        r"starred|stars|sang|sings|hosts|hosted|won|wrote|founded|dated|dates|married|voiced|"
        r"performed|performs|headlined|headlines|released|topped|broke|"
        r"voices|was in|is in|appeared in|appears in)\b",
        # "the richest man in the world", "the most famous woman in America"
        r"\bthe (?:richest|most famous|most powerful|most followed|best paid|highest paid) "
        r"(?:man|woman|person|singer|actress|actor|rapper|model|athlete|influencer|billionaire) "
        r"(?:in|on|of) (?:the world|earth|the planet|america|the us|the uk|europe|asia|"
        r"the country|instagram|tiktok|youtube|hollywood)\b",
        # "a famous pop star who dated ...", "a famous actress from ..."
        r"\b(?:a|the|that|this) (?:famous|very famous|world famous|well known|popular|real|"
        r"real life|celebrity) (?:pop star|popstar|singer|actress|actor|rapper|model|influencer|"
        r"athlete|footballer|youtuber|streamer|celebrity|star|tiktoker|idol|kpop idol|politician|"
        r"princess|royal|presenter|tv host) (?:who|that|from|of|named|called|whose)\b",
    )
)


# On the original text, for the capital of the name after them:
_PROPER_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        # "the star of Barbie", "the wife of President ..."
        rf"(?i:\bthe (?:current |former |late |new )?{_ROLE} of )(?:the |The )?{_PROPER}",
        # "the youngest Kardashian sister", "the eldest Beckham son"
        r"(?i:\bthe (?:youngest|oldest|eldest|middle|other|twin) )"
        rf"{_PROPER}[a-z]+ (?i:sisters?|brothers?|siblings?|daughters?|sons?|twins?|girls?|boys?)",
        # "the woman who plays Daenerys"
        r"(?i:\bthe (?:woman|man|girl|guy|lady|person|one) (?:who|that) (?:plays|played|"
        r"portrays|portrayed|voices|voiced|sang|sings|starred in|stars in|hosts|hosted) )"
        rf"(?:the |The )?{_PROPER}",
    )
)


def find_role(text: str, views: TextViews) -> str | None:
    """The matched reference in `text` (its `views`), for operator review, or None."""
    for pattern in _PATTERNS:
        for view in views.words:
            match = pattern.search(view)
            if match:
                return match.group()
    for pattern in _PROPER_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group()
    return None


def without_generic_roles(text: str) -> str:
    """`text` with each band role of a generic group ("the lead singer of a band") written as
    the bare role ("a lead singer"): nobody in particular, for the semantic layer to read as
    roles.py does (a real band's role is `find_role`'s, and stays as written)."""
    return _GENERIC_GROUP.sub(lambda match: f"a {match.group(1)}", text)


# words that refer to a person: a description of a real person names one of them ("the singer
# from ...", "the wife of ...", "she ..."); a text with none describes no one ("a love song on
# the radio" scored as a person by the semantic layer)
_PERSON = re.compile(
    rf"\b(?:{_BAND_ROLE[3:-1]}|{_ROLE[3:-1]}|{_TITLE[3:-1]}|"
    r"pope|lama|model|influencer|youtuber|streamer|tiktoker|comedian|athlete|footballer|player|"
    r"celebrity|popstar|pop star|idol|politician|senator|governor|mayor|minister|director|"
    r"heir|heiress|billionaire|tycoon|anchorwoman|anchorman|newsreader|journalist|dancer|"
    r"musician|artist|author|writer|poet|designer|chef|judge|astronaut|activist|icon|legend|"
    r"man|woman|men|women|person|people|guy|lady|girl|boy|she|he|her|his|him|who|whose)s?\b"
)


def mentions_person(text: str) -> bool:
    """Whether `text` (lower case) has a word that refers to a person or a title."""
    return _PERSON.search(text) is not None
