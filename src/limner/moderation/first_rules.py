"""A first, deliberately small rule set, used until the full engine is configured.

Whole-word matching on a lower-cased text: a minor indicator is refused in the adult style, and
refused in any style when sexual or nudity wording appears in the same request.
"""

from __future__ import annotations

import re

from limner.domain.styles import Style
from limner.moderation.base import ModerationRequest, Verdict

_MINOR = re.compile(
    r"\b(child|children|kid|kids|minor|minors|underage|teen|teens|teenager|preteen|toddler|"
    r"schoolgirl|schoolboy|loli|shota|jailbait|(?:1[0-7]|[1-9])\s*(?:yo|y/o|years?[ -]old))\b"
)
_SEXUAL = re.compile(r"\b(nude|naked|nsfw|explicit|topless|sex|sexual|sexy|erotic|porn|lingerie)\b")


class FirstRulesModerator:
    def check(self, request: ModerationRequest) -> Verdict:
        texts = [(f.path, f.text.lower()) for f in request.fields]
        adult = request.style is Style.nude or any(_SEXUAL.search(t) for _, t in texts)
        for path, text in texts:
            if _MINOR.search(text) and adult:
                return Verdict.block(path, "minor_term")
        return Verdict.allow()
