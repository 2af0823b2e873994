"""`POST /api/v1/generate`: the v1 contract's endpoint, plus batches (`n`) and the asynchronous
form (`"async": true` or a `webhook_url`: 202 with the queued job)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from limner.api.deps import ContextDep, GenerateBody, GeneratingCaller
from limner.api.errors import error_responses
from limner.api.idempotency import KEY_PATTERN, idempotent
from limner.api.schemas import GenerationPublic
from limner.domain.requests import GenerateRequest
from limner.generation.kinds import DEFAULT_KIND, KINDS

router = APIRouter(prefix="/api/v1", tags=["generate"])

#: one body model per kind (`type`), in the registry's order; t2i's is the v1 contract's
BODY_MODELS = {name: kind.request_model for name, kind in KINDS.items()}

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": f"#/components/schemas/{model.__name__}"}
                        for model in BODY_MODELS.values()
                    ]
                }
            }
        },
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
            "description": "Retry safely: the same key and body within 24 h return the first "
            "answer without generating or charging again.",
        }
    ],
}
#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS: list[type[GenerateRequest]] = list(BODY_MODELS.values())


def type_property(model: type[GenerateRequest]) -> tuple[dict[str, object], bool]:
    """The `type` field of a body model's schema (read by the kind registry, so not a model
    field): `t2i`'s is optional, every other kind's is required; and whether it is required."""
    name = next(key for key, each in BODY_MODELS.items() if each is model)
    if name == DEFAULT_KIND:
        return {"type": "string", "enum": [name], "default": name}, False
    return {"type": "string", "enum": [name], "description": f"`{name}`: studio type"}, True


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
    caller: GeneratingCaller, body: GenerateBody, context: ContextDep, request: Request
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
