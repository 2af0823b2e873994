"""Moderation: text rules run before any credit is reserved or model loaded, and their verdicts.

`default_moderator()` builds the `TextModerator` the service uses. To see what the matchers read,
use `limner.moderation.normalize.normalize` (not re-exported here: it would shadow its module).
"""

from __future__ import annotations

from limner.moderation.base import ModerationRequest, TextField, TextModerator, Verdict
from limner.moderation.engine import (
    AnalyzedField,
    Review,
    RuleModerator,
    analyze_field,
    default_moderator,
)
from limner.moderation.languages import SUPPORTED, identify
from limner.moderation.lexicon import read_term_file

__all__ = [
    "SUPPORTED",
    "AnalyzedField",
    "ModerationRequest",
    "Review",
    "RuleModerator",
    "TextField",
    "TextModerator",
    "Verdict",
    "analyze_field",
    "default_moderator",
    "identify",
    "read_term_file",
]
