"""Typed response bodies. Unknown fields are kept (a newer server may add some)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    def __getitem__(self, name: str) -> Any:
        """Dict-style access, as earlier versions of the client returned dicts."""
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


class Image(_Model):
    url: str
    seed: int


class Progress(_Model):
    image: int
    images: int
    step: int
    total: int
    #: "generating" (denoising steps) or "encoding" (a video: seconds encoded, of total)
    stage: str = "generating"


class Generation(_Model):
    id: str
    status: str
    type: str = "t2i"
    image_url: str | None = None
    credits_used: int = 0
    created_at: str
    quality: str | None = None
    style: str | None = None
    seed: int | None = None
    error: str | None = None
    message: str | None = None
    n: int | None = None
    images: list[Image] | None = None
    queue_position: int | None = None
    estimated_wait_s: int | None = None
    progress: Progress | None = None
    #: False when a test key made it (a placeholder image, never charged)
    livemode: bool = True
    #: the character the request named: {"id": "chr_...", "name": ...}
    character: dict[str, str] | None = None
    #: with a character: whether its references conditioned the model (else traits and seed)
    reference_conditioning: bool | None = None
    #: what made the images: "diffusers" (a model) or "placeholder" (test cards, not a model's)
    backend: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ("queued", "running")


class Video(Generation):
    """A video generation (`type` t2v or i2v): once completed, the MP4 and what it is.
    `image_url` is its poster, as for v1 clients."""

    video_url: str | None = None
    poster_url: str | None = None
    #: seconds of the clip (frames / fps; a model may make a frame more than asked)
    duration_s: float | None = None
    fps: int | None = None
    frames: int | None = None
    width: int | None = None
    height: int | None = None


#: the `type` values whose generations are videos
VIDEO_TYPES = frozenset({"t2v", "i2v"})


def generation_from(body: dict[str, Any]) -> Generation:
    """A `Video` for the video types, a `Generation` otherwise."""
    if body.get("type") in VIDEO_TYPES:
        return Video.model_validate(body)
    return Generation.model_validate(body)


class GenerationPage(_Model):
    data: list[Generation]
    next_cursor: str | None = None
    has_more: bool = False


class Account(_Model):
    key_prefix: str
    name: str
    plan: str
    credits_available: int
    daily_allowance: int
    daily_credits_remaining: int
    granted_credits: int
    resets_at: str
    #: False for a test key (`limner keys create --test`)
    livemode: bool = True


class WebhookSecret(_Model):
    secret: str
    created_at: str
    previous_secret_expires_at: str | None = None


class WebhookAttempt(_Model):
    attempt: int
    at: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


class WebhookDelivery(_Model):
    webhook_id: str
    event_type: str
    url: str
    status: str
    attempts: list[WebhookAttempt]
    next_attempt_at: str | None = None


class WebhookLog(_Model):
    deliveries: list[WebhookDelivery]


class Event(_Model):
    """One Server-Sent Event: `event` is queued, running, progress, completed, failed or
    canceled; `data` its JSON."""

    event: str
    data: dict[str, Any]
    id: str | None = None


class Upload(_Model):
    """An uploaded input picture: use `id` as `image` or `mask` of a generation."""

    id: str
    width: int
    height: int
    sha256: str
    expires_at: str


class CharacterReference(_Model):
    """One stored reference of a character (a copy the character owns)."""

    sha256: str
    width: int
    height: int
    source: str
    generation_id: str | None = None


class Character(_Model):
    """A character: pass `id` as `character_id` to `generate` (docs/characters.md)."""

    id: str
    name: str
    style: str
    description: str | None = None
    appearance: dict[str, Any] | None = None
    references: list[CharacterReference]
    created_at: str


class CharacterPage(_Model):
    data: list[Character]
    next_cursor: str | None = None
    has_more: bool
