"""The HTTP server's own limits, over real sockets to the server `limner serve` runs."""

from __future__ import annotations

import json
import pickle
import socket
from collections.abc import Iterator

import httpx
import pytest

from limner.api import create_app
from limner.api.server import uvicorn_options
from tests.support.live_server import running


@pytest.fixture
def base(settings_factory) -> Iterator[str]:
    app = create_app(settings_factory(rate_limit_anonymous="3/minute"))
    with running(app) as url:
        yield url


def raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes; the status, headers and body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def test_oversized_headers_are_431_json(base: str) -> None:
    response = httpx.get(
        f"{base}/api/v1/account", headers={"Authorization": "Bearer " + "x" * 20_000}, timeout=60
    )
    assert response.status_code == 431
    assert response.json()["error"] == "headers_too_large"
    assert response.json()["message"]


def test_too_many_headers_are_431_json(base: str) -> None:
    many = {f"x-filler-{i}": "1" for i in range(150)}
    response = httpx.get(f"{base}/healthz", headers=many, timeout=60)
    assert response.status_code == 431
    assert response.json()["error"] == "headers_too_large"
    assert httpx.get(f"{base}/healthz", headers=dict(list(many.items())[:50])).status_code == 200


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",  # NUL in a header
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
        b"NOT-HTTP\r\n\r\n",
    ],
)
def test_malformed_requests_get_the_json_error_shape(base: str, request_bytes: bytes) -> None:
    status, headers, body = raw_exchange(base, request_bytes)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "invalid_request"


def test_forwarded_for_is_ignored_unless_trusted(base: str) -> None:
    """With LIMNER_TRUST_PROXY_HEADERS=false a client cannot rotate X-Forwarded-For to escape
    the anonymous limit (uvicorn itself trusts it from loopback by default)."""
    statuses = [
        httpx.get(
            f"{base}/api/v1/account", headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=60
        ).status_code
        for i in range(5)
    ]
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429]


def test_forwarded_for_is_used_when_trusted(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_anonymous="3/minute", trust_proxy_headers=True))
    with running(app) as base:
        statuses = [
            httpx.get(
                f"{base}/api/v1/account", headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(5)
        ]
    assert statuses == [401] * 5  # five clients behind the proxy, one request each


def test_the_server_options_survive_pickling_for_several_processes(settings_factory) -> None:
    options = uvicorn_options(settings_factory(max_header_count=42, header_timeout_s=7.5))
    protocol = pickle.loads(pickle.dumps(options["http"]))
    assert protocol.keywords == {"max_header_count": 42, "header_timeout_s": 7.5}
    assert options["proxy_headers"] is False and options["h11_max_incomplete_event_size"] == 16384


def test_a_client_that_trickles_its_headers_is_disconnected(settings_factory) -> None:
    """A slow client cannot hold a connection open: without its headers complete within
    `LIMNER_HEADER_TIMEOUT_S`, the server closes it (the test waits for that close, with a
    socket timeout far longer than the setting only as a guard)."""
    app = create_app(settings_factory(header_timeout_s=3.0))
    with running(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            assert sock.recv(65536) == b""  # closed without an answer
        with socket.create_connection((host, int(port)), timeout=60) as idle:
            assert idle.recv(65536) == b""  # a connection that sends nothing is closed too
        # a kept-alive connection gets the same deadline for its next request
        with httpx.Client(base_url=url) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/healthz").status_code == 200
