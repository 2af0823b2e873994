"""The ONE place that turns errors into HTTP responses, and documents them in OpenAPI.

Two shapes, by surface: the v1 contract's `{"error": <code>, "message", ...}` everywhere, and
OpenAI's `{"error": {"message", "type", "param", "code"}}` on the OpenAI Images surface
(`/v1/...`, `limner.openai_api`), with the statuses the official SDKs map to their exception
classes (a refusal by moderation is 400 `content_policy_violation`, no credits 429
`insufficient_quota`)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from limner import errors as e
from limner.api.schemas import ErrorBody
from limner.openai_api.errors import UnsupportedParameter
from limner.openai_api.schemas import OpenAIErrorBody

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
    "(the Idempotency-Key was used with another body), `idempotency_key_in_use` or "
    "`idempotency_key_erased` (the key's generation was deleted)",
    413: "`payload_too_large`",
    416: "`range_not_satisfiable`: the `Range` asks for bytes past the end (`Content-Range` "
    "gives the size)",
    429: "`rate_limited`, with `retry_after` seconds (also the `Retry-After` header)",
    500: "`internal_error`",
    503: "`generation_failed`: failed, timed out or busy; not charged",
}


#: the OpenAI surface: (status, OpenAI error `type`, `code`; None: the error's own code)
OPENAI: dict[type[e.LimnerError], tuple[int, str, str | None]] = {
    e.AuthError: (401, "invalid_request_error", None),
    e.PayloadTooLarge: (413, "invalid_request_error", None),
    e.InvalidRequest: (400, "invalid_request_error", None),
    e.ValidationFailed: (400, "invalid_request_error", "invalid_value"),
    UnsupportedParameter: (400, "invalid_request_error", "unsupported_parameter"),
    e.InsufficientCredits: (429, "insufficient_quota", "insufficient_quota"),
    e.ContentBlocked: (400, "invalid_request_error", "content_policy_violation"),
    e.NotFound: (404, "invalid_request_error", None),
    e.Conflict: (409, "invalid_request_error", None),
    e.RateLimited: (429, "requests", "rate_limit_exceeded"),
    e.GenerationFailed: (503, "server_error", None),
}
#: where the OpenAI surface is served (the v1 contract lives under /api/v1)
OPENAI_PREFIX = "/v1/"


def status_for(error: e.LimnerError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def is_openai_surface(request: Request) -> bool:
    """A request to the OpenAI surface, judged by its path below any mount point."""
    path: str = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith(OPENAI_PREFIX)


def openai_error_response(error: e.LimnerError) -> JSONResponse:
    """The error in OpenAI's shape: `param` names the field where there is one; a refusal never
    says more than the v1 answer does (no matched terms)."""
    status, kind, code = next(
        (OPENAI[cls] for cls in type(error).__mro__ if cls in OPENAI),
        (500, "server_error", None),
    )
    param = getattr(error, "field", None)
    body = {
        "error": {
            "message": error.message,
            "type": kind,
            "param": param if isinstance(param, str) else None,
            "code": code or error.code,
        }
    }
    headers = {}
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(body, status_code=status, headers=headers)


def openai_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries of the OpenAI surface (500 is always added)."""
    return {
        status: {"model": OpenAIErrorBody, "description": OPENAI_DESCRIPTIONS[status]}
        for status in (*statuses, 500)
    }


OPENAI_DESCRIPTIONS: dict[int, str] = {
    400: "`invalid_value` or `unsupported_parameter` (`param` names it), "
    "`content_policy_violation` (refused by moderation, screening or the input gate; not "
    "charged)",
    401: "`missing_api_key` or `invalid_api_key`",
    404: "`not_found` (an unknown model)",
    413: "`payload_too_large`",
    429: "`insufficient_quota` (no credits left) or `rate_limit_exceeded` (with `Retry-After`)",
    500: "`internal_error`",
    503: "`generation_failed`: failed, timed out or busy; not charged",
}


#: the methods a 405's `Allow` may name (HEAD is served wherever GET is)
CANDIDATE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def error_body(error: e.LimnerError) -> dict[str, Any]:
    return {"error": error.code, "message": error.message, **error.details()}


def error_response(error: e.LimnerError) -> JSONResponse:
    headers = {}
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, e.RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{error.size}"
    return JSONResponse(error_body(error), status_code=status_for(error), headers=headers)


def internal_error_response(request: Request | None = None) -> JSONResponse:
    """The answer to an unexpected exception, in the shape of the request's surface."""
    if request is not None and is_openai_surface(request):
        return openai_error_response(e.LimnerError())
    return JSONResponse(
        {"error": "internal_error", "message": "An unexpected error occurred."}, status_code=500
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given statuses (500 is always added)."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]}
        for status in (*statuses, 500)
    }


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path: Starlette's 405 names only the first route
    that matched the path, but a path may be served by a route per method (GET and POST)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in CANDIDATE_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in routes
            if not isinstance(route, Mount)  # a mount (static files) matches every method
        )
    ]
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI) -> None:
    def respond(request: Request, error: e.LimnerError) -> JSONResponse:
        if is_openai_surface(request):
            return openai_error_response(error)
        return error_response(error)

    @app.exception_handler(e.LimnerError)
    async def _limner(request: Request, exc: e.LimnerError) -> JSONResponse:
        if status_for(exc) == 500:
            log.error("internal error: %s", exc)
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":
            return respond(request, e.InvalidRequest("The request body is not valid JSON."))
        path = [
            str(p) for p in first.get("loc", ()) if p not in ("body", "path", "query", "header")
        ]
        field = ".".join(path) or "body"
        return respond(request, e.ValidationFailed(field, f"{field}: {first.get('msg')}"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = {404: "Not found.", 405: "Method not allowed."}.get(
            exc.status_code, str(exc.detail)
        )
        allow = allowed_methods(request) if exc.status_code == 405 else ""
        if allow:
            exc.headers = {**(exc.headers or {}), "Allow": allow}
        if is_openai_surface(request):
            kind = "server_error" if exc.status_code >= 500 else "invalid_request_error"
            body = {"message": message, "type": kind, "param": None, "code": code}
            return JSONResponse(
                {"error": body},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return JSONResponse(
            {"error": code, "message": message},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
