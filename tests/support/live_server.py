"""A real uvicorn server on a loopback port, in a background thread, for tests over real HTTP."""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from limner.api.server import uvicorn_options

# Ports handed out in this test run, one empty file each, shared by the pytest-xdist workers
# (they share PYTEST_XDIST_TESTRUNUID): between free_port() and the server's bind the port is
# free, and another worker's free_port() must not take it meanwhile.
_CLAIMS = Path(tempfile.gettempdir()) / (
    "limner-test-ports-" + os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
)


_claimed: list[Path] = []


def _release_claims() -> None:
    # at this process's exit: its servers are gone, and the last one out removes the folder
    for claim in _claimed:
        claim.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        _CLAIMS.rmdir()


def free_port() -> int:
    """A loopback port nothing listens on, not handed to any other test of this run."""
    _CLAIMS.mkdir(exist_ok=True)
    if not _claimed:
        atexit.register(_release_claims)
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        claim = _CLAIMS / str(port)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            _claimed.append(claim)
            return port


def _listening(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server that says when its start-up is over (served or failed)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.done_starting = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.done_starting.set()

    def serve_on(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        finally:
            self.done_starting.set()  # the lifespan failed before startup() was reached


@contextmanager
def serving(config: uvicorn.Config, port: int = 0) -> Iterator[int]:
    """Run uvicorn with `config` on a loopback socket bound here to `port` (0: any free one)
    until the block ends; yields the port once the app has started."""
    sock = _listening(port)
    server = _Server(config)
    thread = threading.Thread(target=server.serve_on, args=(sock,), daemon=True)
    thread.start()
    try:
        server.done_starting.wait()  # pytest-timeout is the net, not a clock here
        if not server.started:
            raise RuntimeError("test server did not start")
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@contextmanager
def running(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve `app` as `limner serve` would (same protocol and limits) until the block ends, on
    `port` (default a free one); yields the base URL once the app has started."""
    options = uvicorn_options(app.state.limner.settings)
    config = uvicorn.Config(app, log_level="warning", limit_concurrency=200, **options)
    with serving(config, port or 0) as bound:
        yield f"http://127.0.0.1:{bound}"


def wait_until_ready(base_url: str, timeout: float = 180.0) -> None:
    """Until `/healthz` answers. The limit is only a net under pytest-timeout: a loaded 2-core
    machine has taken 40 s to start a server that imports torch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base_url} did not become ready")
