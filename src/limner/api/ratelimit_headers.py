"""Puts the rate-limit headers on every response, errors and crashes included.

Routes record the status of the limit they counted in the request state; responses that counted
none (health checks, images, unknown paths) show the caller's address window without counting.
This middleware is also the last resort for unexpected exceptions, so even a 500 has the headers.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from limner.api.context import AppContext
from limner.api.deps import client_address
from limner.api.errors import internal_error_response
from limner.ratelimit import RateLimitStatus

log = logging.getLogger(__name__)


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self._status(scope).headers().items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await internal_error_response(Request(scope))(scope, receive, send_with_headers)

    def _status(self, scope: Scope) -> RateLimitStatus:
        status = scope.get("state", {}).get("ratelimit")
        if isinstance(status, RateLimitStatus):
            return status
        context: AppContext = scope["app"].state.limner
        request = Request(scope)
        return context.limiter.peek("anonymous", client_address(request, context.settings))
