"""The OpenAI Images API beside the v1 contract: `POST /v1/images/generations`, `GET /v1/models`
(and `/v1/models/{id}`), `POST /v1/images/edits` and `/v1/images/variations`.

A thin surface: `limner.openai_api` translates the OpenAI parameters into the v1 body, and the
same planner and engine run it, so keys, credits, rate limits, moderation, screening, provenance
and the generations list are the v1 endpoint's. Errors here are in OpenAI's shape
(`limner.api.errors` picks it by path). No webhooks: this API has none. An `Idempotency-Key`
is honoured as on every POST (`limner.api.idempotency`): a multipart request is fingerprinted
by its text fields and the SHA-256 of each file.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import replace
from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from limner.api.deps import ContextDep, GeneratingCaller, JsonObject, ReadingCaller
from limner.api.errors import openai_error_responses
from limner.api.idempotency import GENERATION_ID_HEADER, KEY_PATTERN, idempotent
from limner.api.openai_forms import OpenAIForm, multipart_body, read_form
from limner.backends.base import KnowsNativeSize
from limner.domain.styles import Quality, Style
from limner.errors import ContentBlocked, NotFound, ValidationFailed
from limner.generation.accounts import AccountRef
from limner.generation.plan import Plan
from limner.openai_api import (
    EditForm,
    GenerationParams,
    ImageCall,
    ImageData,
    ImagesResponse,
    ModelChoice,
    ModelList,
    ModelPublic,
    Size,
    VariationForm,
    edit_call,
    generation_call,
    list_models,
    plan_size,
    variation_call,
)
from limner.wiring import Context

router = APIRouter(prefix="/v1", tags=["openai"])
log = logging.getLogger(__name__)

#: models referenced by hand-written OpenAPI fragments; `create_app` adds them to the schema
EXTRA_SCHEMAS: list[type[BaseModel]] = [GenerationParams, EditForm, VariationForm]
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    "description": "Retry safely: the same key and request within 24 h return the first "
    "answer without generating or charging again.",
}
GENERATIONS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/OpenAIImageGenerationRequest"}
            }
        },
    },
    "parameters": [IDEMPOTENCY_PARAMETER],
}


@router.post(
    "/images/generations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    summary="Create images (OpenAI Images API)",
    description="OpenAI's `images.generate`, served by Limner's engine: `model` picks the style "
    "(GET /v1/models), `quality` low/medium/standard/auto is fast (1 credit per image), "
    "high/hd is hires (2), `size` is `auto` or WIDTHxHEIGHT in multiples of 8; a size over the "
    "preset's pixels is made within them and resized up to it. Charged like `POST "
    "/api/v1/generate`. docs/openai-compatible.md.",
    responses=openai_error_responses(400, 401, 413, 429, 503),
    openapi_extra=GENERATIONS_BODY,
)
def create_images(
    caller: GeneratingCaller, body: JsonObject, context: ContextDep, request: Request
) -> JSONResponse:
    return idempotent(
        context, caller, request, body, lambda: _run(context, caller, generation_call(body))
    )


@router.post(
    "/images/edits",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    summary="Edit an image (OpenAI Images API)",
    description="OpenAI's `images.edit`: multipart with the `image` file (one; `image[]` with "
    "one file is accepted), an optional `mask` (PNG with alpha: its transparent pixels are "
    "repainted) and the `prompt`. With a mask it is Limner's `inpaint`, without one `i2i`; "
    "the answer is at the input picture's size. Charged like `POST /api/v1/generate`; the "
    "adult style takes no uploaded picture (400 `content_policy_violation`). "
    "docs/openai-compatible.md.",
    responses=openai_error_responses(400, 401, 413, 429, 503),
    openapi_extra={**multipart_body(EditForm), "parameters": [IDEMPOTENCY_PARAMETER]},
)
async def edit_images(
    caller: GeneratingCaller, context: ContextDep, request: Request
) -> JSONResponse:
    form = await read_form(request, context.settings, files=("image", "mask"))
    image = form.picture("image", required=True)
    assert image is not None
    mask = form.picture("mask", required=False)
    # the mask is decoded to be converted: off the event loop, through the decode gate
    call = await run_in_threadpool(edit_call, form.fields, image, mask, limits=context.media_limits)
    return await _run_form(context, caller, request, form, call)


@router.post(
    "/images/variations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    summary="Create image variations (OpenAI Images API)",
    description="OpenAI's `images.create_variation`: multipart with the `image` file; Limner's "
    "`i2i` of it with a fixed prompt, at the input picture's size. Charged like `POST "
    "/api/v1/generate`; the adult style takes no uploaded picture. docs/openai-compatible.md.",
    responses=openai_error_responses(400, 401, 413, 429, 503),
    openapi_extra={**multipart_body(VariationForm), "parameters": [IDEMPOTENCY_PARAMETER]},
)
async def image_variations(
    caller: GeneratingCaller, context: ContextDep, request: Request
) -> JSONResponse:
    form = await read_form(request, context.settings, files=("image",))
    image = form.picture("image", required=True)
    assert image is not None
    call = variation_call(form.fields, image)
    return await _run_form(context, caller, request, form, call)


async def _run_form(
    context: Context, caller: AccountRef, request: Request, form: OpenAIForm, call: ImageCall
) -> JSONResponse:
    """A multipart call, idempotent on its fields and its files' hashes, off the event loop."""
    fingerprint = _fingerprint(form)
    return await run_in_threadpool(
        idempotent, context, caller, request, fingerprint, lambda: _run(context, caller, call)
    )


def _fingerprint(form: OpenAIForm) -> dict[str, object]:
    """What makes two multipart requests the same request, without keeping their bytes."""
    files = {
        name: [hashlib.sha256(data).hexdigest() for data in parts]
        for name, parts in form.files.items()
    }
    return {"fields": form.fields, "files": files}


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
    takes_picture = "image" in body
    origin = {"surface": "openai", **({"user": call.user} if call.user else {})}
    try:
        plan = replace(context.service.plan(caller, body), origin=origin)
        if takes_picture:
            _check_input_size(plan, call)
        elif call.size is not None:
            plan = _sized(plan, call.size)
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
    else:  # the stored bytes as `url` serves them: already in `output_format`, C2PA included
        data = [
            ImageData(b64_json=base64.b64encode(stored).decode("ascii"))
            for stored in (
                context.store.get(row.token, row.media_type).data
                for row in context.service.stored_images(generation.id)
            )
        ]
    created = generation.created_at
    answer = ImagesResponse(
        created=int((created if created.tzinfo else created.replace(tzinfo=UTC)).timestamp()),
        data=data,
        output_format=plan.request.output_format.value,
        size=_size(plan),
    )
    return JSONResponse(
        answer.model_dump(exclude_none=True), headers={GENERATION_ID_HEADER: generation.id}
    )


def _check_input_size(plan: Plan, call: ImageCall) -> None:
    """An edit or variation answers at its input picture's size (the v1 image-input kinds do):
    `size` may be `auto` or that size; another size is refused rather than ignored. Planning
    reserves nothing, so the refusal costs nothing."""
    if call.size is None or not plan.inputs:
        return
    width, height = plan.inputs[0].picture.image.size
    if (call.size.width, call.size.height) != (width, height):
        raise ValidationFailed(
            "size",
            f"size: an edit or variation answers at the size of its image ({width}x{height}); "
            f"send size 'auto' or '{width}x{height}', or resize the image, not '{call.size}'",
        )


def _sized(plan: Plan, asked: Size) -> Plan:
    """The plan at the asked size: made as asked within the preset's pixels, else made within
    them in the asked proportions and resized up (`limner.openai_api.sizing`); the stored
    request keeps the made size, the origin the delivered one."""
    backend = plan.runner.backend
    if not isinstance(backend, KnowsNativeSize):
        raise ValidationFailed("size", "size: this server's backend makes its own size only")
    sizes = plan_size(asked, backend.native_size(plan.request.style, plan.request.quality))
    made = sizes.made
    request = plan.request.model_copy(update={"width": made.width, "height": made.height})
    if not sizes.resized:
        return replace(plan, request=request, size=(made.width, made.height))
    return replace(
        plan,
        request=request,
        size=(made.width, made.height),
        resize_to=(asked.width, asked.height),
        origin={**plan.origin, "size": str(asked)},
    )


def _size(plan: Plan) -> str | None:
    if plan.resize_to is not None:
        return f"{plan.resize_to[0]}x{plan.resize_to[1]}"
    if plan.inputs:  # i2i and inpaint answer at the input picture's size
        width, height = plan.inputs[0].picture.image.size
        return f"{width}x{height}"
    if plan.size is not None:
        return f"{plan.size[0]}x{plan.size[1]}"
    backend = plan.runner.backend
    if isinstance(backend, KnowsNativeSize):
        width, height = backend.native_size(plan.request.style, plan.request.quality)
        return f"{width}x{height}"
    return None
