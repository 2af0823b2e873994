"""Moderation: text rules run before any credit is reserved or model loaded, and their verdicts.

`default_moderator()` builds the `TextModerator` the service uses; `normalize` is exported for
tools and tests that want to see what the matchers read.
"""

from __future__ import annotations

from limner.moderation.base import ModerationRequest, TextField, TextModerator, Verdict
from limner.moderation.engine import RuleModerator, default_moderator
from limner.moderation.lexicon import read_term_file
from limner.moderation.normalize import normalize

__all__ = [
    "ModerationRequest",
    "RuleModerator",
    "TextField",
    "TextModerator",
    "Verdict",
    "default_moderator",
    "normalize",
    "read_term_file",
]
