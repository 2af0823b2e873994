"""The moderation interface: what is checked, and the verdict.

Moderation runs before credits are reserved and before any backend is touched. A verdict names
the field that was refused and an internal rule name; it never carries the matched term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from limner.domain.styles import Style


@dataclass(frozen=True)
class TextField:
    """One piece of user text, with the dotted field path it came from (`appearance.body_type`)."""

    path: str
    text: str


@dataclass(frozen=True)
class ModerationRequest:
    style: Style
    fields: tuple[TextField, ...]
    #: whether the job takes a user-supplied image (reference, init image, mask, frame)
    has_image_input: bool = False


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    field: str | None = None
    #: internal rule id for the audit log ("minor_age", "minor_term", ...); never the matched text
    rule: str | None = None
    #: a refusal message for the user where the default one would not say enough (it lists the
    #: supported languages for `unsupported_language`); never the matched text
    message: str | None = None
    #: some field has sexual or nudity wording (allowed text can still be sexual): input
    #: pictures of such a request are screened for apparent minors in every style
    sexual: bool = False

    @classmethod
    def allow(cls, *, sexual: bool = False) -> Verdict:
        return cls(allowed=True, sexual=sexual)

    @classmethod
    def block(cls, field: str, rule: str, *, message: str | None = None) -> Verdict:
        return cls(allowed=False, field=field, rule=rule, message=message)


class TextModerator(Protocol):
    def check(self, request: ModerationRequest) -> Verdict:
        """Return the first refusal found, or `Verdict.allow()`."""
        ...
