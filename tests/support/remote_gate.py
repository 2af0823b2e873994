"""A gate across processes: a server under test (started with `python -m
tests.support.gated_serve`) announces each generation to the test over a loopback socket and
waits for the test's word before doing the work. Generations are named by the test's prompt (the
backend sees the built prompt, which holds it, so a name matches any arrival containing it)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.placeholder import PlaceholderBackend
from tests.support.gated import GATE_LIMIT_S

ENV = "LIMNER_TEST_GATE"


class GateServer:
    """The test's side: who has arrived, and releasing them one by one (or all, from now on)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        #: waiting at the gate, and everyone who ever came
        self._arrived: dict[str, socket.socket] = {}
        self._seen: set[str] = set()
        self._open = False
        self._changed = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            prompt = read_line(conn)
            with self._changed:
                self._arrived[prompt] = conn
                self._seen.add(prompt)
                if self._open:
                    self._go(prompt)
                self._changed.notify_all()

    def _has_seen(self, prompt: str) -> bool:
        return any(prompt in seen for seen in self._seen)

    def wait_for(self, *prompts: str) -> None:
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: all(self._has_seen(p) for p in prompts), timeout=GATE_LIMIT_S
            )
        assert arrived, f"never arrived: {[p for p in prompts if not self._has_seen(p)]}"

    def release(self, prompt: str) -> None:
        with self._changed:
            self._go(next(built for built in self._arrived if prompt in built))

    def _go(self, prompt: str) -> None:
        conn = self._arrived.pop(prompt)
        with contextlib.suppress(OSError):  # its process may be gone
            conn.sendall(b"go\n")
        conn.close()

    def open_all(self) -> None:
        """Release whoever waits and whoever comes later."""
        with self._changed:
            self._open = True
            for prompt in list(self._arrived):
                self._go(prompt)

    def close(self) -> None:
        self._listener.close()
        with self._changed:
            for conn in self._arrived.values():
                conn.close()
            self._arrived.clear()


def read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


class RemoteGatedBackend(PlaceholderBackend):
    """The server's side: the placeholder's work, after the test said go."""

    def __init__(self, address: str) -> None:
        super().__init__()
        host, port = address.split(":")
        self.address = (host, int(port))

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        with socket.create_connection(self.address) as conn:
            conn.sendall(spec.prompt.encode() + b"\n")
            word = read_line(conn)
        if word != "go":
            raise AssertionError("the test closed the gate")
        return super().generate(spec, context)


def main() -> None:
    """`python -m tests.support.gated_serve --port N`: `limner serve` with the gated backend."""
    import argparse

    from limner.api import create_app
    from limner.api.server import serve
    from limner.config import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("LIMNER_TEST_PORT", "0")))
    parser.add_argument("--log-level", default="warning")
    options = parser.parse_args()
    settings = Settings()
    app = create_app(settings, backend=RemoteGatedBackend(os.environ[ENV]))
    serve(app, settings, host="127.0.0.1", port=options.port, log_level=options.log_level)
