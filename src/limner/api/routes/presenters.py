"""Database rows to public response bodies."""

from __future__ import annotations

from limner.api.schemas import GenerationPublic
from limner.clock import isoformat_z
from limner.db.tables import Generation
from limner.storage.base import EXTENSIONS


def image_url(public_url: str, generation: Generation) -> str | None:
    if generation.image_token is None or generation.image_media_type is None:
        return None
    extension = EXTENSIONS[generation.image_media_type]
    return f"{public_url}/generations/{generation.image_token}.{extension}"


def generation_public(generation: Generation, public_url: str) -> GenerationPublic:
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
    )
