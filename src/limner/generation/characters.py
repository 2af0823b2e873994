"""Applying a character to a generate request: the one step every kind gets for free.

A request may carry `character_id` (studio spec, "Characters"). The plan looks the character up
through a `CharacterBook` (wiring gives it `limner.characters.CharacterStore.use`), then, before
the body is parsed: the style must be the character's (or omitted, and then it is the
character's), and the character's appearance traits fill in whatever traits the request does not
give (field by field, so strict validation of `gender` and `age` still runs on the result). After
the backend is picked: the description joins the prompt (moderated like it), the references go to
a backend that conditions on them, and without reference conditioning and without a request seed
the character's own fixed seed is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from limner.backends.base import CharacterReferences
from limner.domain.styles import Style
from limner.errors import ValidationFailed
from limner.generation.accounts import AccountRef
from limner.moderation.base import TextField
from limner.screening import Checks

__all__ = [
    "FIELD",
    "STORED_CHARACTER",
    "CharacterBook",
    "CharacterUse",
    "apply_to_body",
    "character_text_fields",
    "with_character_checks",
]

#: the request field that names a character
FIELD = "character_id"
#: the key of `generations.params` that records the character a generation used
STORED_CHARACTER = "character"


@dataclass(frozen=True)
class CharacterUse:
    """What a request needs of a character (loaded once per plan; the pictures lazily)."""

    id: str
    name: str
    style: Style
    description: str | None
    #: the stored appearance traits (the request's `appearance` object form), or None
    appearance: dict[str, Any] | None
    #: used when the request has no seed and the backend has no reference conditioning
    seed: int
    references: CharacterReferences
    #: a reference came from outside this server (an upload, a data or web URL): its outputs
    #: are screened for nudity and marked composite, as for any job that took a user's picture
    user_pictures: bool = False
    #: the stored references as (bytes, media type), read on the first call and kept: what an
    #: output records as its C2PA ingredients when the references conditioned the model
    reference_files: Callable[[], tuple[tuple[bytes, str], ...]] = field(
        default=lambda: (), repr=False, compare=False
    )


class CharacterBook(Protocol):
    def __call__(self, character_id: object, *, account: AccountRef) -> CharacterUse:
        """The key's character, or `ValidationFailed` on `character_id`, worded the same for an
        unknown id and another key's."""
        ...


def apply_to_body(body: dict[str, Any], character: CharacterUse) -> dict[str, Any]:
    """The body with the character's style and traits in it; a different style is refused."""
    style = body.get("style")
    valid_styles = {each.value for each in Style}
    if style is None:
        body = {**body, "style": character.style.value}
    elif isinstance(style, str) and style in valid_styles and style != character.style.value:
        raise ValidationFailed(
            FIELD,
            f"{FIELD}: this character's style is '{character.style.value}'; "
            f"send style '{character.style.value}' or leave style out (got '{style}')",
        )
    if character.appearance:
        given = body.get("appearance")
        if given is None:
            body = {**body, "appearance": dict(character.appearance)}
        elif isinstance(given, dict):  # the request's traits win, field by field
            body = {**body, "appearance": {**character.appearance, **given}}
    return body


def with_character_checks(checks: Checks, character: CharacterUse | None) -> Checks:
    """A character made from a user's picture makes every output a job that took one: screened
    for nudity in any style (safety.md line 2), whatever the kind."""
    if character is not None and character.user_pictures:
        return replace(checks, nudity=True)
    return checks


def character_text_fields(character: CharacterUse) -> list[TextField]:
    """The character's free text, moderated with the request's (the rules may have changed
    since the character was made, and they depend on the request's other text)."""
    if not character.description:
        return []
    return [TextField(FIELD, character.description)]
