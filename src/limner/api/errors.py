"""The ONE place that turns errors into HTTP responses, and documents them in OpenAPI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from limner import errors as e
from limner.api.schemas import ErrorBody

log = logging.getLogger(__name__)

# The status of each error class; lookup walks the class hierarchy, so one entry covers a family.
STATUS: dict[type[e.LimnerError], int] = {
    e.AuthError: 401,
    e.PayloadTooLarge: 413,
    e.InvalidRequest: 400,
    e.ValidationFailed: 400,
    e.InsufficientCredits: 402,
    e.ContentBlocked: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.RangeNotSatisfiable: 416,
    e.RateLimited: 429,
    e.GenerationFailed: 503,
}

DESCRIPTIONS: dict[int, str] = {
    400: "`invalid_request` (body is not a JSON object) or `validation_error` (names `field`)",
    401: "`missing_api_key` or `invalid_api_key`",
    402: "`insufficient_credits`, with `credits_required` and `credits_available`",
    403: "`content_blocked`: refused by moderation, names `field`; not charged",
    404: "`not_found`",
    405: "`method_not_allowed`",
    409: "`already_finished` (cancel of a finished generation), `idempotency_key_reused` "
    "(the Idempotency-Key was used with another body) or `idempotency_key_in_use`",
    413: "`payload_too_large`",
    416: "`range_not_satisfiable`: the `Range` asks for bytes past the end (`Content-Range` "
    "gives the size)",
    429: "`rate_limited`, with `retry_after` seconds (also the `Retry-After` header)",
    500: "`internal_error`",
    503: "`generation_failed`: failed, timed out or busy; not charged",
}


def status_for(error: e.LimnerError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(error: e.LimnerError) -> dict[str, Any]:
    return {"error": error.code, "message": error.message, **error.details()}


def error_response(error: e.LimnerError) -> JSONResponse:
    headers = {}
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, e.RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{error.size}"
    return JSONResponse(error_body(error), status_code=status_for(error), headers=headers)


def internal_error_response() -> JSONResponse:
    return JSONResponse(
        {"error": "internal_error", "message": "An unexpected error occurred."}, status_code=500
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given statuses (500 is always added)."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]}
        for status in (*statuses, 500)
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(e.LimnerError)
    async def _limner(_request: Request, exc: e.LimnerError) -> JSONResponse:
        if status_for(exc) == 500:
            log.error("internal error: %s", exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":
            return error_response(e.InvalidRequest("The request body is not valid JSON."))
        path = [
            str(p) for p in first.get("loc", ()) if p not in ("body", "path", "query", "header")
        ]
        field = ".".join(path) or "body"
        return error_response(e.ValidationFailed(field, f"{field}: {first.get('msg')}"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = {404: "Not found.", 405: "Method not allowed."}.get(
            exc.status_code, str(exc.detail)
        )
        return JSONResponse(
            {"error": code, "message": message},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
