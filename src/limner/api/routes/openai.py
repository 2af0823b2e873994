"""The OpenAI Images API beside the v1 contract: `POST /v1/images/generations`, `GET /v1/models`
(and `/v1/models/{id}`), `POST /v1/images/edits` and `/v1/images/variations`.

A thin surface: `limner.openai_api` translates the OpenAI parameters into the v1 body, and the
same planner and engine run it, so keys, credits, rate limits, moderation, screening, provenance
and the generations list are the v1 endpoint's. Errors here are in OpenAI's shape
(`limner.api.errors` picks it by path). No webhooks: this API has none.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from limner.api.deps import ContextDep, GeneratingCaller, JsonObject, ReadingCaller
from limner.api.errors import openai_error_responses
from limner.backends.base import KnowsNativeSize
from limner.domain.styles import Quality, Style
from limner.errors import ContentBlocked, NotFound, ValidationFailed
from limner.generation.accounts import AccountRef
from limner.generation.plan import Plan
from limner.openai_api import (
    EndpointNotSupported,
    GenerationParams,
    ImageCall,
    ImageData,
    ImagesResponse,
    ModelChoice,
    ModelList,
    ModelPublic,
    b64_image,
    generation_call,
    list_models,
)
from limner.wiring import Context

router = APIRouter(prefix="/v1", tags=["openai"])
log = logging.getLogger(__name__)

#: the generation's id, for clients that want to follow it on the v1 endpoints or verify it
GENERATION_ID_HEADER = "X-Limner-Generation-Id"

#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS = [GenerationParams]
GENERATIONS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/OpenAIImageGenerationRequest"}
            }
        },
    }
}


@router.post(
    "/images/generations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    summary="Create images (OpenAI Images API)",
    description="OpenAI's `images.generate`, served by Limner's engine: `model` picks the style "
    "(GET /v1/models), `quality` low/medium/standard/auto is fast (1 credit per image), "
    "high/hd is hires (2), `size` is `auto` or WIDTHxHEIGHT in multiples of 8 within the "
    "preset's pixels. Charged like `POST /api/v1/generate`. docs/openai-compatible.md.",
    responses=openai_error_responses(400, 401, 413, 429, 503),
    openapi_extra=GENERATIONS_BODY,
)
def create_images(caller: GeneratingCaller, body: JsonObject, context: ContextDep) -> JSONResponse:
    return _run(context, caller, generation_call(body))


@router.post(
    "/images/edits",
    summary="Edit an image (OpenAI Images API): not supported yet",
    description="Answers 400 `unsupported_endpoint` until image inputs land on this server.",
    responses=openai_error_responses(400, 401, 429),
)
def edit_images(caller: GeneratingCaller) -> JSONResponse:
    raise EndpointNotSupported(
        "POST /v1/images/edits", "image inputs (inpaint, image-to-image) are not served yet."
    )


@router.post(
    "/images/variations",
    summary="Create image variations (OpenAI Images API): not supported yet",
    description="Answers 400 `unsupported_endpoint` until image inputs land on this server.",
    responses=openai_error_responses(400, 401, 429),
)
def image_variations(caller: GeneratingCaller) -> JSONResponse:
    raise EndpointNotSupported(
        "POST /v1/images/variations", "image inputs (image-to-image) are not served yet."
    )


@router.get(
    "/models",
    response_model=ModelList,
    summary="The models (styles and presets) this server offers",
    responses=openai_error_responses(401, 429),
)
def models(caller: ReadingCaller, context: ContextDep) -> ModelList:
    return ModelList(data=[ModelPublic(id=m.id) for m in _offered(context, caller)])


@router.get(
    "/models/{model_id}",
    response_model=ModelPublic,
    summary="One model",
    responses=openai_error_responses(401, 404, 429),
)
def model(model_id: str, caller: ReadingCaller, context: ContextDep) -> ModelPublic:
    if model_id not in {m.id for m in _offered(context, caller)}:
        raise NotFound(f"The model '{model_id}' does not exist on this server.")
    return ModelPublic(id=model_id)


def _offered(context: Context, caller: AccountRef) -> list[ModelChoice]:
    """What this caller's requests can run on (a test key: the test keys' placeholder)."""
    backends = context.service.backends
    runners = backends.runners if caller.livemode else [backends.test] if backends.test else []

    def supports(style: Style, quality: Quality) -> bool:
        return any(runner.backend.supports(style, quality, "t2i") for runner in runners)

    return list_models(supports)


def _run(context: Context, caller: AccountRef, call: ImageCall) -> JSONResponse:
    """Plan the v1 body exactly as the v1 endpoint does, run it here, answer OpenAI's shape."""
    body = dict(call.body)
    if call.size is not None:
        body["width"], body["height"] = call.size.width, call.size.height
    origin = {"surface": "openai", **({"user": call.user} if call.user else {})}
    try:
        plan = replace(context.service.plan(caller, body), origin=origin)
        generation = context.jobs.generate(caller, plan)
    except ValidationFailed as error:
        if error.field in ("width", "height"):  # the size, named as this API names it
            raise ValidationFailed("size", f"size: {error.message.partition(': ')[2]}") from error
        raise
    except ContentBlocked:
        # moderation or screening: the refusal log has the key, field and rule; this line adds
        # the caller's end user (`user`), which the log has no column for
        log.warning("openai surface: refused for key %s user %r", caller.key_prefix, call.user)
        raise
    public = context.jobs.describe(generation)
    if call.response_format == "url":
        data = [ImageData(url=image.url) for image in public.images or []]
    else:
        stored = [
            context.store.get(row.token, row.media_type).data
            for row in context.service.stored_images(generation.id)
        ]
        data = [ImageData(b64_json=b64_image(png, call.output)) for png in stored]
    created = generation.created_at
    answer = ImagesResponse(
        created=int((created if created.tzinfo else created.replace(tzinfo=UTC)).timestamp()),
        data=data,
        output_format=call.output.name,
        size=_size(plan),
    )
    return JSONResponse(
        answer.model_dump(exclude_none=True), headers={GENERATION_ID_HEADER: generation.id}
    )


def _size(plan: Plan) -> str | None:
    if plan.size is not None:
        return f"{plan.size[0]}x{plan.size[1]}"
    backend = plan.runner.backend
    if isinstance(backend, KnowsNativeSize):
        width, height = backend.native_size(plan.request.style, plan.request.quality)
        return f"{width}x{height}"
    return None
