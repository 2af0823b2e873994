"""`POST /api/v1/generate`: the v1 contract's endpoint, plus batches (`n`) and the asynchronous
form (`"async": true` or a `webhook_url`: 202 with the queued job)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from limner.api.deps import ContextDep, GeneratingCaller, JsonObject
from limner.api.errors import error_responses
from limner.api.idempotency import idempotent
from limner.api.schemas import GenerationPublic
from limner.domain.requests import GenerateRequest
from limner.generation.kinds.i2v import ImageToVideoRequest
from limner.generation.kinds.video import VideoRequest

router = APIRouter(prefix="/api/v1", tags=["generate"])

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}}
        },
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Retry safely: the same key and body within 24 h return the first "
            "answer without generating or charging again.",
        }
    ],
}
#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS: list[type[BaseModel]] = [GenerateRequest, VideoRequest, ImageToVideoRequest]


@router.post(
    "/generate",
    response_model=GenerationPublic,
    response_model_exclude_none=True,
    summary="Generate an image",
    description="Generates `n` images (default 1) and answers when they are stored. Credits "
    'are charged only for successful images: fast 1, hires 2 each. With `"async": true` or a '
    "`webhook_url`, answers 202 at once with the queued generation instead. With "
    '`"type": "t2v"` (body: `VideoRequest`) or `"type": "i2v"` (body: `ImageToVideoRequest`) '
    "it makes an MP4 video and its poster, always answered 202 with the job and priced per "
    "requested second (fast 2, hires 4 credits by default).",
    responses={
        202: {
            "model": GenerationPublic,
            "description": "Queued (async, webhook_url, or a video type).",
        },
        **error_responses(400, 401, 402, 403, 409, 413, 429, 503),
    },
    openapi_extra=REQUEST_BODY,
)
def generate(
    caller: GeneratingCaller, body: JsonObject, context: ContextDep, request: Request
) -> JSONResponse:
    def produce() -> JSONResponse:
        plan = context.service.plan(caller, body)
        if plan.queued:
            generation = context.jobs.submit(caller, plan)
            queued = context.jobs.describe(generation).model_dump(exclude_none=True)
            return JSONResponse(queued, status_code=202)
        generation = context.jobs.generate(caller, plan)
        return JSONResponse(context.jobs.describe(generation).model_dump(exclude_none=True))

    return idempotent(context, caller, request, body, produce)
