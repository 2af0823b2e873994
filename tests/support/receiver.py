"""A real webhook receiver on loopback: records every request and answers from a script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    #: status codes to answer in order, then `then` forever; headers per answer (optional)
    script: list[int] = field(default_factory=list)
    then: int = 200
    extra_headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: set at each request received: wait on it instead of polling `received`
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self.lock)

    def record(self, request: Received) -> None:
        with self._changed:
            self.received.append(request)
            self._changed.notify_all()
        self.arrived.set()

    def wait_for(self, count: int) -> list[Received]:
        """Until `count` requests have arrived (no clock: pytest-timeout is the net); them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count)
            return list(self.received[:count])

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.then


@contextmanager
def receiver(script: list[int] | None = None, then: int = 200) -> Iterator[Receiver]:
    state = Receiver(url="", script=list(script or []), then=then)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = state.next_status()
            self.send_response(status)
            for name, value in state.extra_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/limner"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
