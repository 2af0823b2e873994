"""`GET /generations/{token}.{ext}`: image and video bytes behind an unguessable URL (no key
needed, so a browser can show `image_url` or play `video_url` directly, as with the commercial
service), with range requests (`206`), which browsers need to play and seek videos."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from limner.api.deps import ContextDep
from limner.api.errors import error_responses
from limner.api.ranges import byte_range
from limner.config import ImageDelivery
from limner.errors import NotFound
from limner.storage.base import EXTENSIONS, validate_token

router = APIRouter(tags=["images"])


@router.get(
    "/generations/{filename}",
    response_class=Response,
    responses={
        200: {
            "content": {media_type: {} for media_type in EXTENSIONS},
            "description": "The stored bytes, with their MIME type.",
        },
        206: {
            "content": {media_type: {} for media_type in EXTENSIONS},
            "description": "The bytes a `Range: bytes=first-last` header asked for.",
        },
        307: {"description": "With presigned delivery: a short-lived URL on the object store."},
        **error_responses(404, 416),
    },
)
def get_image(filename: str, context: ContextDep, request: Request) -> Response:
    token, _, extension = filename.partition(".")
    validate_token(token)
    generation = context.service.image_by_token(token)
    media_type = generation.image_media_type or ""
    if EXTENSIONS.get(media_type) != extension:
        raise NotFound("No such image.")
    presign = getattr(context.store, "presigned_url", None)
    if context.settings.image_delivery is ImageDelivery.presigned and presign is not None:
        ttl = context.settings.presigned_url_ttl_s
        # cache the redirect for less than the URL lives, so no cache serves a dead link
        return RedirectResponse(
            presign(token, media_type, ttl),
            status_code=307,
            headers={"Cache-Control": f"private, max-age={ttl // 2}"},
        )
    stored = context.store.get(token, media_type)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{generation.id}.{extension}"',
        "Accept-Ranges": "bytes",
    }
    size = len(stored.data)
    wanted = byte_range(request.headers.get("range"), size)
    if wanted is None:
        return Response(stored.data, media_type=stored.media_type, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(
        stored.data[first : last + 1],
        status_code=206,
        media_type=stored.media_type,
        headers=headers,
    )
