"""Moderation: text rules run before any credit is reserved or model loaded, and their verdicts.

`default_moderator()` builds the `TextModerator` the service uses. To see what the matchers read,
use `limner.moderation.normalize.normalize` (not re-exported here: it would shadow its module).
"""

from __future__ import annotations

from limner.moderation.base import ModerationRequest, TextField, TextModerator, Verdict
from limner.moderation.engine import RuleModerator, default_moderator
from limner.moderation.lexicon import read_term_file

__all__ = [
    "ModerationRequest",
    "RuleModerator",
    "TextField",
    "TextModerator",
    "Verdict",
    "default_moderator",
    "read_term_file",
]
