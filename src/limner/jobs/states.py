"""Kept for imports written before the engine had its own package: the states and their table
are owned by `limner.generation.states` (and changed only through `limner.generation.lifecycle`)."""

from limner.generation.states import (
    TERMINAL,
    TRANSITIONS,
    InvalidTransition,
    JobStatus,
    can_move,
    check_move,
    sources_of,
)

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "InvalidTransition",
    "JobStatus",
    "can_move",
    "check_move",
    "sources_of",
]
