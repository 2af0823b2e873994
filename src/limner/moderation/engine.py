"""The text moderation rules: `RuleModerator`, which turns indicators into one verdict.

This module owns the rules, not the word lists (`lexicon`), the age reading (`ages`) or the
normalisation (`normalize`). All fields of a request are read together, because an attack can
split across them (a minor in `appearance.body_type`, nudity in the prompt); the verdict names
the field that carried the refused indicator and never the matched text.

Rules, checked in this order (the first refusal wins, most serious first):

==================  =====================================================================
rule                refused when
==================  =====================================================================
minor_age           an age under 18 is stated (digits or words) in any field, and the
minor_term          style is the adult one or any field carries sexual/nudity wording;
                    a minor-coded word or phrase in the same conditions
real_person_sexual  a real person is named and some field carries sexual/nudity wording
real_person_adult   a real person is named in the adult style (which only makes sexual
                    imagery), even without sexual wording
operator_term       a term from the operator's extra blocked list appears, in any style
==================  =====================================================================

A child flying a kite in the realistic style is allowed: a minor indicator alone is refused only
in the adult style.
"""

from __future__ import annotations

from collections.abc import Iterable

from limner.domain.styles import is_adult_style
from limner.moderation.ages import mentions_minor_age
from limner.moderation.base import ModerationRequest, Verdict
from limner.moderation.lexicon import (
    MINOR_PATTERNS,
    MINOR_TERMS,
    SEXUAL_TERMS,
    TermSet,
    shipped_real_people,
)
from limner.moderation.normalize import TextViews, analyze

__all__ = ["RuleModerator", "default_moderator"]


class RuleModerator:
    """Rule-based text moderation (implements `limner.moderation.base.TextModerator`).

    `extra_real_people` and `extra_blocked_terms` let an operator add names and terms (see
    `lexicon.read_term_file` for reading them from a file); nothing here can remove a shipped rule.
    `real_people` replaces the shipped name list and exists for tests.
    """

    def __init__(
        self,
        *,
        extra_real_people: Iterable[str] = (),
        extra_blocked_terms: Iterable[str] = (),
        real_people: Iterable[str] | None = None,
    ) -> None:
        names = shipped_real_people() if real_people is None else tuple(real_people)
        self._minor_terms = TermSet(MINOR_TERMS, patterns=MINOR_PATTERNS)
        self._sexual_terms = TermSet(SEXUAL_TERMS)
        self._real_people = TermSet((*names, *extra_real_people))
        self._operator_terms = TermSet(extra_blocked_terms)

    def check(self, request: ModerationRequest) -> Verdict:
        """Return the first refusal found, or `Verdict.allow()`."""
        fields = [(field.path, analyze(field.text)) for field in request.fields]
        adult = is_adult_style(request.style)
        sexual_words = any(self._sexual_terms.matches(views) for _, views in fields)

        if adult or sexual_words:
            for path, views in fields:
                rule = self._minor_rule(views)
                if rule is not None:
                    return Verdict.block(path, rule)
            for path, views in fields:
                if self._real_people.matches(views):
                    rule = "real_person_sexual" if sexual_words else "real_person_adult"
                    return Verdict.block(path, rule)

        for path, views in fields:
            if self._operator_terms.matches(views):
                return Verdict.block(path, "operator_term")
        return Verdict.allow()

    def _minor_rule(self, views: TextViews) -> str | None:
        if mentions_minor_age(views):
            return "minor_age"
        if self._minor_terms.matches(views):
            return "minor_term"
        return None


def default_moderator(
    *, extra_real_people: Iterable[str] = (), extra_blocked_terms: Iterable[str] = ()
) -> RuleModerator:
    """The moderator the service uses: shipped lists plus the operator's additions."""
    return RuleModerator(
        extra_real_people=extra_real_people, extra_blocked_terms=extra_blocked_terms
    )
