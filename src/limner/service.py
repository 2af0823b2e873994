"""Kept for imports written before the engine had its own package (`limner.generation`)."""

from limner.generation.accounts import AccountRef, account_ref
from limner.generation.engine import GenerationService, Outcome, ProvenanceStamp, moderation_fields

__all__ = [
    "AccountRef",
    "GenerationService",
    "Outcome",
    "ProvenanceStamp",
    "account_ref",
    "moderation_fields",
]
