"""Request ids, access logs, request metrics and CORS: the edges every response passes through.

Each request gets an id (the caller's `X-Request-Id` when it is a sane token, else a new one),
returned as `X-Request-Id` and carried by every log record written while serving it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from limner.config import Settings
from limner.logs import request_id_var
from limner.metrics import Metrics

log = logging.getLogger("limner.access")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: headers a browser client may read on a cross-origin answer
EXPOSED_HEADERS = [
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        root_path = scope.get("root_path", "")
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope, root_path)
            self.metrics.observe_request(
                route=route, method=scope["method"], status=status, seconds=elapsed
            )
            log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                elapsed * 1000,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id_var.reset(token)


def install_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """Add after the rate-limit middleware, so request ids and CORS wrap every answer."""
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_ID.fullmatch(candidate) else None
    return None


def _route_template(scope: Scope, root_path: str) -> str:
    """The matched route's path template (`/api/v1/generations/{generation_id}`), never the raw
    path, so ids do not explode the metric's label values. A mount (static files) shows as its
    prefix; anything that matched nothing is `unmatched`."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    mounted = scope.get("root_path", "")
    if mounted != root_path:  # a Mount moved its prefix into root_path
        return f"{mounted[len(root_path) :]}/{{path}}"
    return "unmatched"
