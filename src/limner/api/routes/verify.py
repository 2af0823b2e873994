"""`POST /api/v1/verify`: send an image's bytes, learn whether this server made it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from limner.api.deps import ContextDep, ReadingCaller, read_limited_body
from limner.api.errors import error_responses
from limner.api.schemas import VerificationPublic
from limner.verification import verify_image

router = APIRouter(prefix="/api/v1", tags=["provenance"])

IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The image file's bytes (PNG or JPEG), sent as the raw body.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/png", "image/jpeg", "application/octet-stream")
        },
    }
}


@router.post(
    "/verify",
    response_model=VerificationPublic,
    summary="Verify an image's provenance",
    description="Reads the invisible watermark, the metadata and the C2PA manifest, and says "
    "whether the watermarked generation id was made by this server.",
    responses=error_responses(400, 401, 413, 429),
    openapi_extra=IMAGE_BODY,
)
async def verify_upload(
    caller: ReadingCaller, request: Request, context: ContextDep
) -> VerificationPublic:
    data = await read_limited_body(request, context.settings.max_image_bytes)
    verification = await run_in_threadpool(
        verify_image,
        data,
        database=context.database,
        watermark_key=context.settings.watermark_key.encode(),
        trust_anchors_pem=context.trust_anchors_pem,
    )
    return VerificationPublic.model_validate(verification.as_dict())
