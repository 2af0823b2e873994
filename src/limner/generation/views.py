"""The body of a generation, built in one place: the API's answers (submit, read, list, cancel,
the event stream) and the webhook message all show a generation through `describe`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.clock import isoformat_z
from limner.db.tables import Generation, GenerationImage
from limner.generation.characters import STORED_CHARACTER
from limner.generation.live import Progress
from limner.generation.states import JobStatus
from limner.storage.base import EXTENSIONS

VIDEO_MP4 = "video/mp4"

__all__ = [
    "CharacterRef",
    "GenerationPublic",
    "ImagePublic",
    "ProgressPublic",
    "QueuePlace",
    "describe",
    "present",
    "token_url",
]


@dataclass(frozen=True)
class QueuePlace:
    #: 1 = next to run
    position: int
    #: seconds, from recent run times; None until some job has finished
    estimated_wait_s: int | None


class ImagePublic(BaseModel):
    """One image of a generation (a batch has `n`)."""

    url: str
    seed: int


class ProgressPublic(BaseModel):
    """Where a running generation is: image `image` (1-based) of `images`, step of total."""

    image: int
    images: int
    step: int
    total: int
    stage: str = Field(
        "generating",
        description="generating: `step` of `total` denoising steps; encoding (videos): `step` "
        "of `total` seconds of video encoded.",
    )
    preview: str | None = Field(
        None,
        description="A small JPEG of the image so far (`data:image/jpeg;base64,...`), where the "
        "model has a tiny decoder to make one cheaply; absent otherwise.",
    )


class CharacterRef(BaseModel):
    """The character a generation used (`character_id` on the request)."""

    id: str = Field(examples=["chr_abc12345"])
    name: str


class GenerationPublic(BaseModel):
    """A generation as the v1 contract shows it, plus the seed and the parameters used."""

    id: str = Field(examples=["gen_abc12345"])
    status: str = Field(description="completed | failed | running | queued | canceled | blocked")
    type: str = Field(
        "t2i", description="t2i: text to image; i2i; t2v: text to video; i2v: image to video"
    )
    image_url: str | None = Field(
        None, description="Where the image bytes are; set once completed."
    )
    prompt: str | None = Field(
        None, description="The prompt as the key sent it (the playground's gallery shows it)."
    )
    credits_used: int
    created_at: str = Field(examples=["2025-12-25T10:30:00Z"])
    quality: str
    style: str
    seed: int
    error: str | None = Field(None, description="The error code of a failed generation.")
    message: str | None = Field(None, description="Why a generation failed.")
    n: int | None = Field(None, description="Images asked for (batches); absent when 1.")
    images: list[ImagePublic] | None = Field(
        None, description="Every stored image, in seed order; `image_url` is the first."
    )
    queue_position: int | None = Field(None, description="Queued: 1 means next to run.")
    estimated_wait_s: int | None = Field(
        None, description="Queued: estimated seconds until it runs, from recent run times."
    )
    progress: ProgressPublic | None = Field(None, description="Running: the latest step.")
    livemode: bool = Field(
        True,
        description="false when a test key made it: a placeholder image, never charged.",
    )
    character: CharacterRef | None = Field(
        None, description="The character the request named (`character_id`); absent otherwise."
    )
    reference_conditioning: bool | None = Field(
        None,
        description="With a character: true when its reference pictures condition the model, "
        "false when only its traits and fixed seed apply (a style whose model has no reference "
        "encoder). Absent without a character.",
    )
    backend: str | None = Field(
        None,
        examples=["diffusers"],
        description="What makes its images: `diffusers` (a model), `placeholder` (generated test "
        "cards, not a model's output: a test key, or a server with no model), `ray`.",
    )
    video_url: str | None = Field(
        None,
        description="Videos (t2v, i2v): the MP4 (H.264, yuv420p), served with range requests; "
        "`image_url` is its poster.",
    )
    poster_url: str | None = Field(None, description="Videos: the first frame as PNG.")
    duration_s: float | None = Field(None, description="Videos: seconds, frames / fps.")
    fps: int | None = Field(None, description="Videos: frames per second.")
    frames: int | None = Field(None, description="Videos: frames in the MP4.")
    width: int | None = Field(None, description="Videos: frame width in px.")
    height: int | None = Field(None, description="Videos: frame height in px.")


def token_url(public_url: str, token: str, media_type: str) -> str:
    return f"{public_url}/generations/{token}.{EXTENSIONS[media_type]}"


def describe(
    session: Session,
    generation: Generation,
    public_url: str,
    *,
    place: QueuePlace | None = None,
    progress: Progress | None = None,
) -> GenerationPublic:
    """The generation as clients see it now: its images once completed, its queue place while
    queued, its progress while running (each only in the state it belongs to)."""
    images: Sequence[GenerationImage] = ()
    if generation.status == JobStatus.completed.value:
        images = session.scalars(
            select(GenerationImage)
            .where(GenerationImage.generation_id == generation.id)
            .order_by(GenerationImage.position)
        ).all()
    return present(
        generation,
        public_url,
        images=images,
        place=place if generation.status == JobStatus.queued.value else None,
        progress=progress if generation.status == JobStatus.running.value else None,
    )


def present(
    generation: Generation,
    public_url: str,
    *,
    images: Sequence[GenerationImage] = (),
    place: QueuePlace | None = None,
    progress: Progress | None = None,
) -> GenerationPublic:
    """Rows to the body; `describe` picks which rows belong in it."""
    params = generation.params if isinstance(generation.params, dict) else {}
    n = params.get("n", 1)
    used = params.get(STORED_CHARACTER)
    character = used if isinstance(used, dict) else None
    shown = [
        ImagePublic(url=token_url(public_url, image.token, image.media_type), seed=image.seed)
        for image in images
        if image.media_type != VIDEO_MP4
    ]
    image_url = None
    if generation.image_token is not None and generation.image_media_type is not None:
        image_url = token_url(public_url, generation.image_token, generation.image_media_type)
    video = _video_fields(generation, public_url, images, poster_url=image_url)
    if video:
        shown = []  # a video's files are named by video_url and poster_url
    return GenerationPublic(
        id=generation.id,
        status=generation.status,
        type=generation.type,
        image_url=image_url,
        prompt=generation.prompt,
        credits_used=generation.credits_used,
        created_at=isoformat_z(generation.created_at),
        quality=generation.quality,
        style=generation.style,
        seed=generation.seed,
        error=generation.error_code,
        message=generation.error_message,
        n=n if isinstance(n, int) and n > 1 else None,
        images=shown or None,
        queue_position=place.position if place else None,
        estimated_wait_s=place.estimated_wait_s if place else None,
        progress=ProgressPublic(
            image=progress.image + 1,
            images=progress.images,
            step=progress.step,
            total=progress.total,
            stage=progress.stage,
            preview=progress.preview,
        )
        if progress
        else None,
        livemode=generation.livemode is not False,
        character=CharacterRef(id=str(character["id"]), name=str(character["name"]))
        if character
        else None,
        reference_conditioning=bool(character["reference_conditioning"]) if character else None,
        backend=generation.backend,
        **video,
    )


def _video_fields(
    generation: Generation,
    public_url: str,
    images: Sequence[GenerationImage],
    *,
    poster_url: str | None,
) -> dict[str, Any]:
    """The video fields of a completed video generation (empty for images and until done)."""
    clip = next((image for image in images if image.media_type == VIDEO_MP4), None)
    info = generation.media if isinstance(generation.media, dict) else None
    if clip is None or info is None:
        return {}
    return {
        "video_url": token_url(public_url, clip.token, clip.media_type),
        "poster_url": poster_url,
        **{name: info.get(name) for name in ("duration_s", "fps", "frames", "width", "height")},
    }
