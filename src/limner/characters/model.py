"""The character resource's shapes: the create body (validated at the edge, like a generate
request) and what a client sees of a character."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from limner.domain.requests import Appearance, _FieldError
from limner.domain.styles import Style

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_NAME_CHARS",
    "MAX_REFERENCES",
    "CharacterCreate",
    "CharacterInfo",
    "StoredReference",
]

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 500
MAX_REFERENCES = 4


class CharacterCreate(BaseModel):
    """`POST /api/v1/characters`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)] = Field(
        ..., description="What you call the character (shown back, never sent to the model)."
    )
    style: Style = Field(
        Style.realistic,
        description="The one style the character is rendered in; requests must use it.",
    )
    description: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_DESCRIPTION_CHARS)] | None
    ) = Field(
        None,
        description="Words added to every prompt that uses the character (moderated like it).",
    )
    appearance: Appearance | None = Field(
        None, description="Traits (style 'nude' only, as on generate); a request's own win."
    )
    references: Annotated[list[str], Field(min_length=1, max_length=MAX_REFERENCES)] = Field(
        ...,
        description="1 to 4 media references (upl_..., gen_..., data:, https://); copied into "
        "storage the character owns. The adult style takes only the key's own gen_... outputs.",
    )

    @field_validator("name", "description")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _adult_only_traits(self) -> CharacterCreate:
        if self.style is not Style.nude and self.appearance is not None:
            raise _FieldError("appearance", "appearance is only accepted with style 'nude'")
        return self


@dataclass(frozen=True)
class StoredReference:
    """One reference as the character keeps it (`characters.refs`)."""

    media_id: str
    sha256: str
    width: int
    height: int
    #: where it came from: upload, generation, data, url
    source: str
    #: the generation it came from (`gen_...`), for provenance; None for outside pictures
    generation_id: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "media_id": self.media_id,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "source": self.source,
            "generation_id": self.generation_id,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> StoredReference:
        return cls(
            media_id=str(data["media_id"]),
            sha256=str(data["sha256"]),
            width=int(data["width"]),
            height=int(data["height"]),
            source=str(data["source"]),
            generation_id=data.get("generation_id"),
        )


@dataclass(frozen=True)
class CharacterInfo:
    id: str
    name: str
    style: Style
    description: str | None
    appearance: dict[str, Any] | None
    references: tuple[StoredReference, ...]
    created_at: datetime
