"""`/api/v1/uploads`: input pictures for image-input requests (docs/studio.md).

The body is either `multipart/form-data` with the picture in the field `file`, or the picture
itself with its `Content-Type`. Either way it is read through the byte limit as it streams in,
before anything parses it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from limner.api.deps import ContextDep, GeneratingCaller, ReadingCaller, limited_stream
from limner.api.errors import error_responses
from limner.api.idempotency import idempotent
from limner.api.schemas import UploadPublic
from limner.clock import isoformat_z
from limner.errors import PayloadTooLarge, ValidationFailed
from limner.media import UploadInfo, create_upload, delete_upload, get_upload

router = APIRouter(prefix="/api/v1", tags=["uploads"])

#: room for the multipart boundaries and part headers around the picture
MULTIPART_OVERHEAD_BYTES = 16 * 1024

_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The picture: a multipart form with the field `file`, or the raw bytes "
        "with their Content-Type. PNG, JPEG or WebP, within `LIMNER_MAX_UPLOAD_BYTES` and "
        "`LIMNER_MAX_UPLOAD_PIXELS`.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "image/png": _BINARY,
            "image/jpeg": _BINARY,
            "image/webp": _BINARY,
        },
    }
}


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadPublic,
    summary="Upload an input picture",
    description="Checks that the picture decodes as PNG, JPEG or WebP within the byte, pixel, "
    "side (32 to 4096 by default) and aspect-ratio limits, read from its header before any "
    "pixel is decoded; applies its EXIF orientation, strips all metadata and stores it for this "
    "key until `expires_at` (`LIMNER_UPLOAD_TTL_HOURS`, default 24). Use the `id` as `image` "
    "or `mask` of a generation. Free; counted against the plan's generation rate limit. An "
    "`Idempotency-Key` replays the first answer for the same bytes.",
    openapi_extra=UPLOAD_BODY,
    responses=error_responses(400, 401, 413, 429),
)
async def create(caller: GeneratingCaller, context: ContextDep, request: Request) -> JSONResponse:
    settings = context.settings
    data = await _picture_bytes(request, settings.max_upload_bytes)

    def produce() -> JSONResponse:
        info = create_upload(
            database=context.database,
            store=context.store,
            account_id=caller.id,
            data=data,
            limits=context.media_limits,
            ttl=timedelta(hours=settings.upload_ttl_hours),
        )
        return JSONResponse(_public(info).model_dump(), status_code=201)

    # an Idempotency-Key replays the first upload of the same bytes (like every POST); decoding,
    # storing and the row are blocking work, so all of it runs off the event loop
    fingerprint = {"sha256": hashlib.sha256(data).hexdigest()}
    return await run_in_threadpool(idempotent, context, caller, request, fingerprint, produce)


@router.get(
    "/uploads/{upload_id}",
    response_model=UploadPublic,
    summary="An upload's metadata",
    description="Another key's upload, or an expired one, is `404` like an unknown id.",
    responses=error_responses(401, 404, 429),
)
def read(upload_id: str, caller: ReadingCaller, context: ContextDep) -> UploadPublic:
    return _public(get_upload(database=context.database, account_id=caller.id, upload_id=upload_id))


@router.delete(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an upload now, before it expires",
    responses=error_responses(401, 404, 429),
)
def delete(upload_id: str, caller: ReadingCaller, context: ContextDep) -> Response:
    delete_upload(
        database=context.database, store=context.store, account_id=caller.id, upload_id=upload_id
    )
    return Response(status_code=204)


def _public(info: UploadInfo) -> UploadPublic:
    return UploadPublic(
        id=info.id,
        width=info.width,
        height=info.height,
        sha256=info.sha256,
        expires_at=isoformat_z(info.expires_at),
    )


async def _picture_bytes(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return b"".join([chunk async for chunk in limited_stream(request, limit)])
    stream = limited_stream(request, limit + MULTIPART_OVERHEAD_BYTES, reported=limit)
    try:
        form = await MultiPartParser(request.headers, stream, max_files=1, max_fields=8).parse()
    except MultiPartException as exc:
        raise ValidationFailed("file", f"file: the multipart body is malformed ({exc})") from exc
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise ValidationFailed("file", "file: send the picture in the multipart field 'file'")
        data = await part.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise PayloadTooLarge(limit)
    return data
