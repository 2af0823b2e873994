"""`POST /api/v1/verify`: send an image's bytes, learn whether this server made it.

The image comes as the raw body (`--data-binary @x.png`) or as the multipart field `image`
(`-F image=@x.png`, what most users try first and what HTML forms send).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from limner.api.deps import ContextDep, ReadingCaller, read_limited_body
from limner.api.errors import error_responses
from limner.api.schemas import VerificationPublic
from limner.errors import InvalidRequest, PayloadTooLarge, ValidationFailed
from limner.verification import verify_image

router = APIRouter(prefix="/api/v1", tags=["provenance"])

#: room for the multipart boundaries and part headers around the image itself
MULTIPART_OVERHEAD = 16 * 1024

IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The image file (PNG, JPEG, WebP or MP4, told by its signature; any other "
        "format is 400) within the input picture limits: the raw body, or the multipart field "
        "`image`.",
        "content": {
            **{
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in (
                    "image/png",
                    "image/jpeg",
                    "image/webp",
                    "video/mp4",
                    "application/octet-stream",
                )
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {"image": {"type": "string", "format": "binary"}},
                }
            },
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
    limit = context.settings.max_image_bytes
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        data = await _multipart_image(request, limit)
    else:
        data = await read_limited_body(request, limit)
    verification = await run_in_threadpool(
        verify_image,
        data,
        limits=context.media_limits,
        database=context.database,
        watermark_key=context.settings.watermark_key.encode(),
        trust_anchors_pem=context.trust_anchors_pem,
    )
    return VerificationPublic.model_validate(verification.as_dict())


async def _multipart_image(request: Request, limit: int) -> bytes:
    """The bytes of the `image` file part, the body read within `limit` plus framing first."""
    body = await read_limited_body(request, limit + MULTIPART_OVERHEAD)

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    except (HTTPException, MultiPartException) as exc:  # a malformed multipart body
        raise InvalidRequest("The multipart body is malformed.") from exc
    try:
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed(
                "image", "send the image file as the multipart field `image` (-F image=@x.png)"
            )
        data = await upload.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise PayloadTooLarge(limit)
    return data
