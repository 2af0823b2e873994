"""How uvicorn serves the app: one place for the HTTP server's limits, so `limner serve` (one
process or several) and the tests' live server run the same protocol with the same settings.

- HTTP/1.1 by h11, whose buffer bound caps the request line and headers
  (`LIMNER_MAX_HEADER_BYTES`); httptools has no such bound, and a 64 MiB header would be read in
  full. The header count is capped too (`LIMNER_MAX_HEADER_COUNT`).
- A request's line and headers must arrive within `LIMNER_HEADER_TIMEOUT_S` of connecting (or of
  the previous answer on a kept-alive connection), else the connection is closed: uvicorn's
  keep-alive timer restarts on every byte, so a client trickling headers would hold it forever.
- Requests refused at this level (oversized or malformed) get the contract's JSON error shape,
  not uvicorn's plain text. They never reach the app, so they carry no rate-limit headers.
- `X-Forwarded-*` is read only with `LIMNER_TRUST_PROXY_HEADERS=true`; otherwise uvicorn's own
  default (trust loopback) would let a local client pick its address and dodge the anonymous limit.
- SIGTERM: uvicorn stops accepting and gives running requests `LIMNER_SHUTDOWN_GRACE_S`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from typing import Any, cast

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from limner.config import Settings

#: the code of each status this module answers with, and the message
REFUSALS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "The HTTP request is malformed."),
    431: ("headers_too_large", "The request headers are too large or too many."),
}


def serve(app: Any, settings: Settings, *, host: str, port: int, log_level: str) -> None:
    """Serve `app` in this process until SIGTERM or SIGINT (`limner serve`)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config`, derived from settings only."""
    return {
        "http": _protocol_for(settings),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": settings.trust_proxy_headers,
        # the operator said a proxy they run sits in front: its peer address is the proxy's
        "forwarded_allow_ips": "*" if settings.trust_proxy_headers else "",
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_grace_s),
    }


def _protocol_for(settings: Settings) -> type[H11Protocol]:
    # a partial of a module-level class, not a subclass made here: `--processes N` pickles it
    protocol = functools.partial(
        LimnerH11Protocol,
        max_header_count=settings.max_header_count,
        header_timeout_s=settings.header_timeout_s,
    )
    return cast(type[H11Protocol], protocol)


class LimnerH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header-count cap, a header-read deadline and JSON bodies on
    its own refusals."""

    def __init__(
        self, *args: Any, max_header_count: int, header_timeout_s: float, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_count = max_header_count
        self.header_timeout_s = header_timeout_s
        self._header_deadline: asyncio.TimerHandle | None = None
        self.max_header_bytes: int = self.config.h11_max_incomplete_event_size or 16 * 1024
        self._refusal_status = 400
        self._watch(self.conn)

    def _watch(self, conn: h11.Connection) -> None:
        """Wrap `conn.next_event` to count headers and remember h11's status hint on errors
        (uvicorn drops the exception before it answers)."""
        next_event = conn.next_event

        def checked_next_event() -> Any:
            try:
                event = next_event()
            except h11.RemoteProtocolError as exc:
                self._refusal_status = 431 if exc.error_status_hint == 431 else 400
                raise
            if isinstance(event, h11.Request):
                self._stop_header_deadline()
                if self._too_large(event):
                    self._refusal_status = 431
                    raise h11.RemoteProtocolError("header fields too large", error_status_hint=431)
            return event

        conn.next_event = checked_next_event  # type: ignore[method-assign]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # the next request's headers, on a kept connection
            self._start_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_deadline()
        super().connection_lost(exc)

    def _start_header_deadline(self) -> None:
        self._stop_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _stop_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _too_large(self, request: h11.Request) -> bool:
        # h11 bounds only a request that arrives in pieces; one that came whole is measured here
        size = len(request.target) + sum(len(n) + len(v) + 4 for n, v in request.headers)
        return len(request.headers) > self.max_header_count or size > self.max_header_bytes

    def send_400_response(self, msg: str) -> None:
        status = self._refusal_status
        code, message = REFUSALS[status]
        body = json.dumps({"error": code, "message": message}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        reason = STATUS_PHRASES[status]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
