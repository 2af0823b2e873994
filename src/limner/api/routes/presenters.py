"""Database rows to public response bodies."""

from __future__ import annotations

from collections.abc import Sequence

from limner.api.schemas import GenerationPublic, ImagePublic, ProgressPublic
from limner.clock import isoformat_z
from limner.db.tables import Generation, GenerationImage
from limner.jobs.live import Progress
from limner.jobs.queue import QueuePlace
from limner.storage.base import EXTENSIONS


def image_url(public_url: str, generation: Generation) -> str | None:
    if generation.image_token is None or generation.image_media_type is None:
        return None
    return token_url(public_url, generation.image_token, generation.image_media_type)


def token_url(public_url: str, token: str, media_type: str) -> str:
    return f"{public_url}/generations/{token}.{EXTENSIONS[media_type]}"


def generation_public(
    generation: Generation,
    public_url: str,
    *,
    images: Sequence[GenerationImage] = (),
    place: QueuePlace | None = None,
    progress: Progress | None = None,
) -> GenerationPublic:
    n = generation.params.get("n", 1) if isinstance(generation.params, dict) else 1
    shown = [
        ImagePublic(url=token_url(public_url, image.token, image.media_type), seed=image.seed)
        for image in images
    ]
    return GenerationPublic(
        id=generation.id,
        status=generation.status,
        type=generation.type,
        image_url=image_url(public_url, generation),
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
        )
        if progress
        else None,
    )
