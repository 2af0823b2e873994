"""`GET /api/v1/generations/{id}`: one of the caller's own generations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from limner.api.deps import ContextDep, ReadingCaller
from limner.api.errors import error_responses
from limner.api.routes.presenters import generation_public
from limner.api.schemas import GenerationPublic

router = APIRouter(prefix="/api/v1", tags=["generations"])

GenerationId = Annotated[str, Path(max_length=64, description="A generation id, gen_...")]


@router.get(
    "/generations/{generation_id}",
    response_model=GenerationPublic,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 429),
)
def get_generation(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep
) -> GenerationPublic:
    generation = context.service.get_generation(caller, generation_id)
    return generation_public(generation, context.settings.public_url)
