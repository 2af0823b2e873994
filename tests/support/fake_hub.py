"""A model hub on a loopback port, in the Hugging Face hub's URL layout, for offline tests.

`huggingface_hub` (and diffusers through it) reads `HF_ENDPOINT`, so a `limner serve` started
with `HF_ENDPOINT=hub.url` lists and downloads the tiny pipelines the test saved, through the
same calls it makes against the real hub:

    GET  /api/models/{repo}[/revision/{rev}]          model info, with each file's size
    GET  /api/models/{repo}/tree/{rev}[/{path}]       the file listing (recursive)
    HEAD /{repo}/resolve/{rev}/{file}                 file metadata (commit, etag, size)
    GET  /{repo}/resolve/{rev}/{file}                 the bytes, with `Range` support

The test controls the failures, without timing: `drop_once(repo, file, after)` makes the next
full GET of that file send `after` bytes of it and close the connection (the client then has to
resume with a `Range` request); `down = True` makes every connection close before any answer
(an unreachable hub), counting the attempts.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["FakeHub", "HubRequest", "running_hub"]


@dataclass(frozen=True)
class HubRequest:
    method: str
    path: str
    range: str | None


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Path] = {}
        self.requests: list[HubRequest] = []
        self.down = False
        #: connections closed unanswered while `down`
        self.refused = 0
        #: set once a planned drop has happened
        self.dropped = threading.Event()
        self._drop: tuple[str, str, int] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- what the test sets up ------------------------------------------------------------------

    def add_repo(self, repo: str, folder: Path) -> None:
        self.repos[repo] = folder

    def drop_once(self, repo: str, filename: str, *, after: int) -> None:
        self._drop = (repo, filename, after)

    def files(self, repo: str) -> dict[str, int]:
        """Every file of a repo and its size, as the hub lists them."""
        folder = self.repos[repo]
        return {
            path.relative_to(folder).as_posix(): path.stat().st_size
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    def requested(self, repo: str) -> list[HubRequest]:
        with self._lock:
            return [r for r in self.requests if f"/{repo}/" in r.path or r.path.endswith(repo)]

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- serving ----------------------------------------------------------------------------------

    def commit(self, repo: str) -> str:
        return hashlib.sha1(repo.encode()).hexdigest()

    def start(self) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                hub._handle(self, body=False)

            def do_GET(self) -> None:
                hub._handle(self, body=True)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        if self.down:
            with self._lock:
                self.refused += 1
            handler.close_connection = True
            handler.connection.close()
            return
        path = unquote(urlsplit(handler.path).path)
        with self._lock:
            self.requests.append(HubRequest(handler.command, path, handler.headers.get("Range")))
        if path.startswith("/api/models/"):
            self._api(handler, path.removeprefix("/api/models/"))
            return
        for repo in self.repos:
            prefix = f"/{repo}/resolve/"
            if path.startswith(prefix):
                _rev, _, filename = path.removeprefix(prefix).partition("/")
                self._file(handler, repo, filename, body=body)
                return
        self._json(handler, {"error": "Repository not found"}, status=404)

    def _api(self, handler: BaseHTTPRequestHandler, rest: str) -> None:
        for repo in self.repos:
            if rest == repo or rest.startswith(f"{repo}/revision/"):
                files = self.files(repo)
                self._json(
                    handler,
                    {
                        "id": repo,
                        "modelId": repo,
                        "sha": self.commit(repo),
                        "private": False,
                        "siblings": [{"rfilename": f, "size": n} for f, n in files.items()],
                    },
                )
                return
            if rest.startswith(f"{repo}/tree/"):
                _rev, _, under = rest.removeprefix(f"{repo}/tree/").partition("/")
                entries: list[dict[str, object]] = []
                folders: set[str] = set()
                for name, size in self.files(repo).items():
                    if under and not name.startswith(f"{under}/"):
                        continue
                    parent = name.rpartition("/")[0]
                    if parent and parent not in folders:
                        folders.add(parent)
                        entries.append({"type": "directory", "path": parent, "oid": "0" * 40})
                    entries.append(
                        {"type": "file", "path": name, "size": size, "oid": self._etag(repo, name)}
                    )
                self._json(handler, entries)
                return
        self._json(handler, {"error": "Repository not found"}, status=404)

    def _etag(self, repo: str, filename: str) -> str:
        return hashlib.sha256((self.repos[repo] / filename).read_bytes()).hexdigest()

    def _file(
        self, handler: BaseHTTPRequestHandler, repo: str, filename: str, *, body: bool
    ) -> None:
        target = self.repos[repo] / filename
        if not target.is_file():
            handler.send_response(404)
            handler.send_header("X-Error-Code", "EntryNotFound")
            handler.send_header("X-Repo-Commit", self.commit(repo))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        data = target.read_bytes()
        start = 0
        wanted = handler.headers.get("Range")
        if wanted and body:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
        handler.send_response(206 if start else 200)
        handler.send_header("X-Repo-Commit", self.commit(repo))
        handler.send_header("ETag", f'"{self._etag(repo, filename)}"')
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(data) - start))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if not body:
            return
        drop = self._drop
        if drop is not None and drop[:2] == (repo, filename) and not start:
            self._drop = None
            handler.wfile.write(data[: drop[2]])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.close()
            self.dropped.set()
            return
        handler.wfile.write(data[start:])

    def _json(self, handler: BaseHTTPRequestHandler, value: object, *, status: int = 200) -> None:
        payload = json.dumps(value).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


@contextmanager
def running_hub() -> Iterator[FakeHub]:
    hub = FakeHub()
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
