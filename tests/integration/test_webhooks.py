"""Webhooks over real HTTP: a live Limner server and a real receiver on loopback.

Signatures are checked with an implementation written here from the Standard Webhooks
specification, independent of `limner.webhooks`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from limner import keys
from limner.api import create_app
from tests.support.live_server import running
from tests.support.receiver import receiver

PROMPT = "a lighthouse at dusk"


def verify_from_spec(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: HMAC-SHA256 with the base64-decoded `whsec_` secret over
    `{webhook-id}.{webhook-timestamp}.{body}`, any `v1,` signature may match."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    given = [
        part.split(",", 1)[1]
        for part in headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, signature) for signature in given)


class Live:
    def __init__(self, base: str, app) -> None:
        self.base = base
        self.app = app
        with app.state.limner.database.transaction() as session:
            self.key = keys.create_key(session=session).key
        self.headers = {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, **kwargs) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs)

    def submit(self, url: str, **extra) -> dict:
        response = self.post(
            "/api/v1/generate", json={"prompt": PROMPT, "webhook_url": url, **extra}
        )
        assert response.status_code == 202, response.text
        return response.json()

    def log(self, generation_id: str) -> dict:
        return self.get(f"/api/v1/generations/{generation_id}/webhook").json()


@pytest.fixture
def live(settings_factory) -> Iterator[Callable[..., Live]]:
    with ExitStack() as stack:

        def make(**overrides: object) -> Live:
            values: dict[str, object] = {
                "queue_poll_s": 0.05,
                "webhook_allow_private": True,
                "webhook_retry_schedule_s": [0, 0.1, 0.1, 0.1],
                "webhook_jitter": 0.0,
            }
            values.update(overrides)
            app = create_app(settings_factory(**values))
            return Live(stack.enter_context(running(app)), app)

        yield make


def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def attempts(live: Live, generation_id: str) -> int:
    deliveries = live.log(generation_id)["deliveries"]
    return len(deliveries[0]["attempts"]) if deliveries else 0


def last_status(live: Live, generation_id: str) -> str | None:
    deliveries = live.log(generation_id)["deliveries"]
    return deliveries[-1]["status"] if deliveries else None


def test_a_completed_job_is_delivered_signed(live) -> None:
    server = live()
    with receiver() as hook:
        job = server.submit(hook.url)
        wait_for(lambda: last_status(server, job["id"]) == "succeeded")
    secret = server.get("/api/v1/webhook-secret").json()["secret"]
    assert secret.startswith("whsec_")
    [message] = hook.received
    assert verify_from_spec(secret, message.headers, message.body)
    assert not verify_from_spec(secret, message.headers, message.body + b" ")
    assert abs(int(message.headers["webhook-timestamp"]) - time.time()) < 60
    assert message.headers["content-type"] == "application/json"
    payload = json.loads(message.body)
    assert payload["type"] == "generation.completed"
    assert payload["data"]["id"] == job["id"] and payload["data"]["credits_used"] == 1
    image_path = payload["data"]["image_url"].removeprefix("http://testserver")
    assert httpx.get(f"{server.base}{image_path}").status_code == 200
    [delivery] = server.log(job["id"])["deliveries"]
    assert delivery["webhook_id"] == message.headers["webhook-id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


def test_a_failing_receiver_that_recovers_gets_the_message_once_per_id(live) -> None:
    server = live()
    with receiver(script=[500, 302, 503]) as hook:
        job = server.submit(hook.url)
        wait_for(lambda: last_status(server, job["id"]) == "succeeded")
    ids = {message.headers["webhook-id"] for message in hook.received}
    bodies = {message.body for message in hook.received}
    assert len(hook.received) == 4 and len(ids) == 1 and len(bodies) == 1
    # a receiver that deduplicates on webhook-id processes it exactly once
    processed = {m.headers["webhook-id"] for m in hook.received[3:]}
    assert processed == ids
    attempts = server.log(job["id"])["deliveries"][0]["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 302, 503, 200]


def test_retry_after_is_honoured(live) -> None:
    server = live()
    with receiver(script=[429]) as hook:
        hook.extra_headers["Retry-After"] = "1"
        job = server.submit(hook.url)
        wait_for(lambda: last_status(server, job["id"]) == "succeeded")
    first, second = (server.log(job["id"])["deliveries"][0]["attempts"][i]["at"] for i in (0, 1))
    assert len(hook.received) == 2
    assert first != second  # 1 s apart at least, though the schedule says 0.1 s


def test_the_schedule_ends_in_failed(live) -> None:
    server = live(webhook_retry_schedule_s=[0, 0.05])
    with receiver(then=500) as hook:
        job = server.submit(hook.url)
        wait_for(lambda: last_status(server, job["id"]) == "failed")
    assert len(hook.received) == 2


def test_410_disables_the_endpoint_until_a_resend(live) -> None:
    server = live()
    with receiver(script=[410]) as hook:
        first = server.submit(hook.url)
        wait_for(lambda: last_status(server, first["id"]) == "disabled")
        second = server.submit(hook.url)
        wait_for(lambda: last_status(server, second["id"]) == "disabled")
        assert len(hook.received) == 1  # nothing more was sent to it
        response = server.post(f"/api/v1/generations/{second['id']}/webhook/resend")
        assert response.status_code == 200
        wait_for(lambda: last_status(server, second["id"]) == "succeeded")
    assert len(hook.received) == 2
    assert hook.received[1].headers["webhook-id"] == response.json()["deliveries"][0]["webhook_id"]


def test_rotation_signs_with_both_secrets_during_the_grace_period(live) -> None:
    server = live()
    old = server.get("/api/v1/webhook-secret").json()["secret"]
    rotated = server.post("/api/v1/webhook-secret").json()
    new = rotated["secret"]
    assert new != old and rotated["previous_secret_expires_at"]
    assert server.get("/api/v1/webhook-secret").json()["secret"] == new
    with receiver() as hook:
        job = server.submit(hook.url)
        wait_for(lambda: last_status(server, job["id"]) == "succeeded")
    [message] = hook.received
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    assert verify_from_spec(old, message.headers, message.body)
    assert verify_from_spec(new, message.headers, message.body)


def test_canceled_and_failed_jobs_are_delivered_too(live) -> None:
    server = live(queue_workers=0)
    with receiver() as hook:
        job = server.submit(hook.url)
        assert server.post(f"/api/v1/generations/{job['id']}/cancel").json()["status"] == "canceled"
        wait_for(lambda: last_status(server, job["id"]) == "succeeded")
    assert json.loads(hook.received[0].body)["type"] == "generation.canceled"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 around loopback
        "http://[2002:a9fe:a9fe::]/latest/meta-data",  # 6to4 around the metadata address
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 around loopback
        "http://[64:ff9b::a00:1]/hook",  # NAT64 around 10.0.0.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:10.0.0.1]/hook",
        "http://[fec0::1]/hook",  # site-local (deprecated, still routed inside some networks)
        "http://[feff:ffff::1]/hook",  # the top of fec0::/10
    ],
)
def test_ssrf_targets_are_refused_at_submit(live, url: str) -> None:
    server = live(webhook_allow_private=False)
    response = server.post("/api/v1/generate", json={"prompt": PROMPT, "webhook_url": url})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == "webhook_url"
    assert server.get("/api/v1/account").json()["credits_available"] == 5


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "example.com/hook",
        "https://example.com/" + "a" * 2100,
        "https:///nohost",
    ],
)
def test_malformed_webhook_urls_are_refused(live, url: str) -> None:
    server = live()
    response = server.post("/api/v1/generate", json={"prompt": PROMPT, "webhook_url": url})
    assert response.status_code == 400 and response.json()["field"] == "webhook_url"


def test_the_dispatcher_rechecks_targets_before_sending(live) -> None:
    """A target allowed at submit but refused at send (the operator changed the setting, or
    DNS changed) is never called."""
    server = live()
    with receiver() as hook:
        server.app.state.limner.jobs.dispatcher.allow_private = False
        job = server.submit(hook.url)
        wait_for(lambda: attempts(server, job["id"]) >= 2)
    assert hook.received == []
    error = server.log(job["id"])["deliveries"][0]["attempts"][0]["error"]
    assert "not a public address" in error


def test_the_attempt_connects_to_the_checked_address(live, monkeypatch) -> None:
    """DNS rebinding: the name resolves to a public address when checked and to loopback
    afterwards. The attempt must go to the address that was checked, never to loopback."""
    import socket

    real = socket.getaddrinfo
    lookups: list[str] = []
    public = "93.184.216.34"

    def rebinding(host, port, *args, **kwargs):
        if host != "hook.rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = public if len(lookups) <= 2 else "127.0.0.1"  # submit, then attempt check
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    server = live(webhook_allow_private=False, webhook_timeout_s=5)
    with receiver() as hook:
        port = hook.url.split(":")[2].split("/")[0]
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        job = server.submit(f"http://hook.rebind.test:{port}/hook")
        wait_for(lambda: attempts(server, job["id"]) >= 1, timeout=60)
        monkeypatch.setattr(socket, "getaddrinfo", real)
    assert hook.received == []  # a lookup by the client would have found the receiver
    first = server.log(job["id"])["deliveries"][0]["attempts"][0]
    assert "status_code" not in first and "not a public address" not in first["error"]
