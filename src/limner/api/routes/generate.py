"""`POST /api/v1/generate`: the v1 contract's one endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from limner.api.deps import ContextDep, GeneratingCaller, JsonObject
from limner.api.errors import error_responses
from limner.api.routes.presenters import generation_public
from limner.api.schemas import GenerationPublic
from limner.domain.requests import GenerateRequest, parse_generate_request

router = APIRouter(prefix="/api/v1", tags=["generate"])

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}}
        },
    }
}
#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS = [GenerateRequest]


@router.post(
    "/generate",
    response_model=GenerationPublic,
    response_model_exclude_none=True,
    summary="Generate an image",
    description="Generates one image and answers when it is stored. Credits are charged only "
    "for a successful generation: fast 1, hires 2.",
    responses=error_responses(400, 401, 402, 403, 413, 429, 503),
    openapi_extra=REQUEST_BODY,
)
def generate(caller: GeneratingCaller, body: JsonObject, context: ContextDep) -> JSONResponse:
    request = parse_generate_request(body)
    generation = context.service.generate(caller, request)
    public = generation_public(generation, context.settings.public_url)
    return JSONResponse(public.model_dump(exclude_none=True))
