"""Response bodies (the request bodies live in `limner.domain.requests`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# the generation body is the engine's (the webhook sends the same one); re-exported for routes
from limner.generation.views import GenerationPublic as GenerationPublic
from limner.generation.views import ImagePublic as ImagePublic
from limner.generation.views import ProgressPublic as ProgressPublic


class ErrorBody(BaseModel):
    """Every error: `error` is the code, `message` is for people. Some codes add fields."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(examples=["validation_error"])
    message: str = Field(examples=["prompt: this field is required"])
    field: str | None = Field(None, description="validation_error, content_blocked: the field.")
    credits_required: int | None = Field(None, description="insufficient_credits")
    credits_available: int | None = Field(None, description="insufficient_credits")
    retry_after: int | None = Field(None, description="rate_limited: seconds to wait.")


class AccountPublic(BaseModel):
    key_prefix: str = Field(description="The public part of the API key, e.g. lmn_ab12cd34.")
    name: str
    plan: str = Field(description="free | pro")
    credits_available: int = Field(description="What can be spent now: daily + granted.")
    daily_allowance: int
    daily_credits_remaining: int
    granted_credits: int = Field(description="Granted or bought credits; they do not expire.")
    resets_at: str = Field(description="When the daily allowance refills (next UTC midnight).")
    livemode: bool = Field(
        True,
        description="false for a test key: placeholder images, never charged, its own rate limit.",
    )


class PresetRuntimePublic(BaseModel):
    """What one enabled style x quality preset runs with on this server (diffusers backend)."""

    preset: str = Field(description="style.quality, e.g. realistic.fast")
    model: str
    device: str
    dtype: str
    threads: int | None = Field(None, description="CPU threads; null on a GPU.")
    decoder: str = Field(description="'full', or 'tiny (<model>)' for a tiny VAE decoder.")
    execution: str = Field(
        description="How the denoiser and decoder run: 'eager', 'torch.compile (<mode>)' or "
        "'CUDA graphs'.",
    )
    max_batch: int = Field(description="The most images one call of this preset makes.")
    loaded: bool
    disabled: str | None = Field(
        None,
        description="Why the preset is out of service (its model is missing, or `enabled = "
        "false`) and what to configure; absent when it serves.",
    )


class HealthPublic(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
    backend: str | None = Field(
        None, description="/readyz: the main backend (diffusers, placeholder or ray)."
    )
    notice: str | None = Field(
        None,
        description="/readyz: the banner of a server that LIMNER_BACKEND=auto left on the "
        "placeholder (no model could be had), with the reason; absent otherwise.",
    )
    runtime: list[PresetRuntimePublic] | None = Field(
        None, description="/readyz with the diffusers backend: each preset's device and precision."
    )


class VerificationPublic(BaseModel):
    from_this_server: bool = Field(
        description="A Limner watermark was found and its generation is recorded here."
    )
    generation_id: str | None = Field(description="The generation id read from the watermark.")
    known_generation: bool
    ai_generated: bool = Field(description="Metadata, watermark or C2PA says a model made it.")
    watermark_found: bool
    metadata_generation_id: str | None
    metadata_matches_watermark: bool | None
    generator: str | None
    digital_source_type: str | None
    c2pa_valid: bool | None
    c2pa_trusted: bool | None
    placeholder: bool
    format: str | None
    made_from_input: bool = Field(
        description="Made from an input picture (i2i, inpaint, outpaint): the composite source "
        "type, or C2PA ingredients."
    )
    ingredients: list[str] = Field(
        description="The C2PA ingredients' relationships: parentOf (the edited input), "
        "componentOf (a mask or reference)."
    )


class GenerationPage(BaseModel):
    """`GET /api/v1/generations`: newest first; pass `next_cursor` as `cursor` for more."""

    data: list[GenerationPublic]
    next_cursor: str | None = Field(None, description="Absent on the last page.")
    has_more: bool


class WebhookSecretPublic(BaseModel):
    """The account's signing secret (`whsec_...`); verify `webhook-signature` with it."""

    secret: str
    created_at: str
    previous_secret_expires_at: str | None = Field(
        None,
        description="After a rotation: until then messages carry a signature with each secret.",
    )


class WebhookAttemptPublic(BaseModel):
    attempt: int
    at: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int


class WebhookDeliveryPublic(BaseModel):
    """One webhook message and its attempts (the delivery log)."""

    webhook_id: str = Field(description="The `webhook-id` header, the same on every retry.")
    event_type: str
    url: str
    status: str = Field(description="pending | sending | succeeded | failed | disabled")
    attempts: list[WebhookAttemptPublic]
    next_attempt_at: str | None = None


class WebhookLogPublic(BaseModel):
    deliveries: list[WebhookDeliveryPublic]


class UploadPublic(BaseModel):
    """An uploaded input picture; pass `id` as `image` or `mask` of a generation."""

    id: str = Field(examples=["upl_abc12345"])
    width: int
    height: int
    sha256: str = Field(description="Of the stored picture (after its metadata was stripped).")
    expires_at: str = Field(examples=["2025-12-26T10:30:00Z"])


class CharacterReferencePublic(BaseModel):
    """One stored reference of a character (a copy it owns; the source may be gone)."""

    sha256: str
    width: int
    height: int
    source: str = Field(description="upload | generation | data | url")
    generation_id: str | None = Field(None, description="The generation it came from, if any.")


class CharacterPublic(BaseModel):
    """A character: pass `id` as `character_id` of a generate request."""

    id: str = Field(examples=["chr_abc12345"])
    name: str
    style: str
    description: str | None = None
    appearance: dict[str, object] | None = None
    references: list[CharacterReferencePublic]
    created_at: str = Field(examples=["2025-12-25T10:30:00Z"])


class CharacterPage(BaseModel):
    """`GET /api/v1/characters`: newest first; pass `next_cursor` as `cursor` for more."""

    data: list[CharacterPublic]
    next_cursor: str | None = Field(None, description="Absent on the last page.")
    has_more: bool
