"""`/api/v1/characters`: the same person across generations (docs/characters.md).

Creating one is free and counted against the plan's generation rate limit (it resolves, screens
and stores pictures); reads and deletes are reads. Another key's id answers `404` like an unknown
one; in a generate request it is `400 validation_error` on `character_id`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from limner.api.context import AppContext
from limner.api.deps import ContextDep, GeneratingCaller, JsonObject, ReadingCaller
from limner.api.errors import error_responses
from limner.api.idempotency import idempotent
from limner.api.schemas import CharacterPage, CharacterPublic, CharacterReferencePublic
from limner.characters import CharacterCreate, CharacterInfo, CharacterStore
from limner.clock import isoformat_z
from limner.errors import NotAvailable

router = APIRouter(prefix="/api/v1", tags=["characters"])

CharacterId = Annotated[str, Path(description="A character id, chr_...")]

#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS = [CharacterCreate]
CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CharacterCreate"}}
        },
    }
}


def _store(context: AppContext) -> CharacterStore:
    if context.characters is None:
        raise NotAvailable("Characters are not available on this server.")
    return context.characters


@router.post(
    "/characters",
    status_code=201,
    response_model=CharacterPublic,
    response_model_exclude_none=True,
    summary="Create a character",
    description="Resolves each reference (upl_, gen_, data: or https://), screens it, and copies "
    "it into storage the character owns (uploads expire, characters do not). The adult style "
    "(`nude`) takes only the key's own generations, after their provenance verifies; an upload, "
    "data URL or web URL is refused `403 content_blocked` (recorded, free). Free.",
    responses=error_responses(400, 401, 403, 413, 429, 503),
    openapi_extra=CREATE_BODY,
)
def create(
    caller: GeneratingCaller, body: JsonObject, context: ContextDep, request: Request
) -> JSONResponse:
    def produce() -> JSONResponse:
        info = _store(context).create(caller, body)
        return JSONResponse(_public(info).model_dump(exclude_none=True), status_code=201)

    # an Idempotency-Key replays the first answer for the same body (like every POST)
    return idempotent(context, caller, request, body, produce)


@router.get(
    "/characters",
    response_model=CharacterPage,
    response_model_exclude_none=True,
    summary="List the caller's characters, newest first",
    responses=error_responses(400, 401, 404, 429),
)
def list_characters(
    caller: ReadingCaller,
    context: ContextDep,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^chr_[a-z2-7]{16}$",
            description="`next_cursor` of the previous page; one that names none of your "
            "rows (deleted since, say) is a 404.",
        ),
    ] = None,
    limit: Annotated[int, Query(description="Page size, 1 to 100.")] = 20,
) -> CharacterPage:
    page = _store(context).page(caller, cursor=cursor, limit=limit)
    return CharacterPage(
        data=[_public(info) for info in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.get(
    "/characters/{character_id}",
    response_model=CharacterPublic,
    response_model_exclude_none=True,
    summary="A character",
    responses=error_responses(401, 404, 429),
)
def get_character(
    character_id: CharacterId, caller: ReadingCaller, context: ContextDep
) -> CharacterPublic:
    return _public(_store(context).get(caller, character_id))


@router.delete(
    "/characters/{character_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a character",
    description="Deletes its stored reference copies and cached embeddings, never the "
    "generations they came from. A queued generation that names it fails (free).",
    responses=error_responses(401, 404, 429),
)
def delete_character(
    character_id: CharacterId, caller: ReadingCaller, context: ContextDep
) -> Response:
    _store(context).delete(caller, character_id)
    return Response(status_code=204)


def _public(info: CharacterInfo) -> CharacterPublic:
    return CharacterPublic(
        id=info.id,
        name=info.name,
        style=info.style.value,
        description=info.description,
        appearance=info.appearance,
        references=[
            CharacterReferencePublic(
                sha256=ref.sha256,
                width=ref.width,
                height=ref.height,
                source=ref.source,
                generation_id=ref.generation_id,
            )
            for ref in info.references
        ],
        created_at=isoformat_z(info.created_at),
    )
