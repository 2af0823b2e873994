"""The body of `POST /api/v1/generate`, validated at the edge.

Field errors become `validation_error` with `field` as a dotted path (`appearance.age`).
Nothing is silently corrected: unknown fields and wrong types are refused.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from limner.domain.styles import CaptionPosition, Gender, Quality, Style
from limner.errors import InvalidRequest, ValidationFailed

M = TypeVar("M", bound=BaseModel)

MAX_PROMPT_CHARS = 1000
MAX_TRAIT_CHARS = 60
MAX_CAPTION_CHARS = 100
MAX_SEED = 2**32 - 1
MAX_BATCH = 8
MAX_WEBHOOK_URL_CHARS = 2048

TraitText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TRAIT_CHARS)]


class Appearance(BaseModel):
    """Traits for the adult style. `gender` and `age` are strict; the rest are free text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gender: Gender | None = None
    ethnicity: TraitText | None = None
    age: Annotated[int, Field(strict=True, ge=18, le=70)] | None = Field(
        None, description="A number from 18 to 70. Every generation depicts an adult."
    )
    hair_style: TraitText | None = None
    hair_color: TraitText | None = None
    eye_color: TraitText | None = None
    body_type: TraitText | None = None
    breast_size: TraitText | None = None

    def free_text_fields(self) -> dict[str, str]:
        """Trait name -> value for every free-text trait that was given (for moderation)."""
        names = ("ethnicity", "hair_style", "hair_color", "eye_color", "body_type", "breast_size")
        return {name: value for name in names if (value := getattr(self, name)) is not None}


class SnapCaption(BaseModel):
    """A chat-app-style caption bar. Without `text`, a random built-in caption is used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CAPTION_CHARS)] | None = (
        None
    )
    position: CaptionPosition = CaptionPosition.center

    @field_validator("text")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("caption text must not be blank")
        if value is not None and any(ch in value for ch in "\r\n\t"):
            raise ValueError("caption text must be a single line")
        return value


def _caption_kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "SnapCaption"


# A tagged union so that a bad object reports `snap_caption.position`, not "expected a boolean".
_CaptionChoice = Annotated[
    Annotated[bool, Tag("bool")] | Annotated[SnapCaption, Tag("SnapCaption")],
    Discriminator(_caption_kind),
]


class GenerateRequest(BaseModel):
    """`POST /api/v1/generate`. Field names, values and defaults follow the v1 contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: Annotated[str, StringConstraints(max_length=MAX_PROMPT_CHARS)] = Field(
        ...,
        description="What to generate; at most 1000 characters, not only white space.",
        # documented for clients; the check itself is `_not_blank`, with a clearer message
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    quality: Quality = Field(Quality.fast, description="fast costs 1 credit, hires costs 2.")
    style: Style = Field(Style.realistic, description="Visual style.")
    appearance: Appearance | None = Field(
        None, description="Physical traits; only with style 'nude'."
    )
    snap_caption: _CaptionChoice | None = Field(
        None,
        description="Caption bar (style 'nude' only): true for a random caption, or an object.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=MAX_SEED)] | None = Field(
        None, description="Makes the result reproducible; the response reports the seed used."
    )

    n: Annotated[int, Field(strict=True, ge=1, le=MAX_BATCH)] = Field(
        1, description="Images to make, each with its own seed (seed, seed+1, ...)."
    )
    async_: Annotated[bool, Field(strict=True)] = Field(
        False,
        alias="async",
        description="Answer 202 at once with the queued job instead of waiting for the image.",
    )
    webhook_url: str | None = Field(
        None,
        description="Where to POST the signed result (implies async); http or https.",
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is not None:
            check_webhook_url_shape(value)
        return value

    @property
    def queued(self) -> bool:
        """Submitted to the queue (202) rather than answered when done (200)."""
        return self.async_ or self.webhook_url is not None

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must not be empty")
        return value

    @model_validator(mode="after")
    def _adult_only_fields(self) -> GenerateRequest:
        if self.style is not Style.nude:
            if self.appearance is not None:
                raise _FieldError("appearance", "appearance is only accepted with style 'nude'")
            if self.snap_caption not in (None, False):
                raise _FieldError("snap_caption", "snap_caption is only accepted with style 'nude'")
        return self

    def caption(self) -> SnapCaption | None:
        """The caption to draw, or None. `true` becomes a caption without text (random)."""
        if self.snap_caption is True:
            return SnapCaption()
        if isinstance(self.snap_caption, SnapCaption):
            return self.snap_caption
        return None


def check_webhook_url_shape(url: str) -> None:
    """The URL's form only (no DNS): http(s), a host, no credentials, not too long."""
    from urllib.parse import urlsplit

    if len(url) > MAX_WEBHOOK_URL_CHARS:
        raise ValueError(f"webhook_url must be at most {MAX_WEBHOOK_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"webhook_url is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("webhook_url must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("webhook_url has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("webhook_url must not contain credentials; verify signatures instead")
    if any(ch.isspace() for ch in url):
        raise ValueError("webhook_url must not contain white space")


class _FieldError(ValueError):
    """Raised inside a model validator to name a field other than the model itself."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def parse_generate_request(data: Any) -> GenerateRequest:
    """Validate a decoded JSON body, turning the first problem into `ValidationFailed`."""
    return parse_model(GenerateRequest, data)


def parse_model(model: type[M], data: Any) -> M:
    """Validate `data` as `model`; raise the contract's errors, naming the field by dotted path."""
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _to_validation_failed(exc) from exc


def _to_validation_failed(exc: ValidationError) -> ValidationFailed:
    error = exc.errors(include_url=False)[0]
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _FieldError):
        return ValidationFailed(ctx_error.field, str(ctx_error))
    path = [str(part) for part in error["loc"] if not _is_union_branch(part)]
    field = ".".join(path) or "body"
    return ValidationFailed(field, f"{field}: {_message(error)}")


def _is_union_branch(part: object) -> bool:
    # pydantic puts the union member it tried into `loc` ("bool", "SnapCaption", "constrained-int");
    # our field names are all lower_snake_case, so a member name never hides a field.
    return isinstance(part, str) and (
        part[:1].isupper()
        or part in {"bool", "int", "str", "none"}
        or part.startswith(("constrained-", "function-"))
    )


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
