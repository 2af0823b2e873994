"""Test keys through HTTP (Stripe's test mode): the placeholder backend, never charged (no ledger
movement at all, no credits needed), their own rate limit, `"livemode": false` on every answer,
and the same safety rules as live keys."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from limner import keys, ledger
from limner.api import create_app
from limner.db.tables import LedgerEntry, ModerationEvent, Reservation, WebhookDelivery
from tests.support.events import wait_finished

PROMPT = {"prompt": "a lighthouse at dusk"}


class Server:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.database = client.app.state.limner.database

    def key(self, *, test: bool, plan: str = "free", credits: int = 0) -> tuple[int, dict]:
        with self.database.transaction() as session:
            issued = keys.create_key(session=session, plan=plan, name="t", test=test)
            if credits:
                ledger.grant(session=session, account_id=issued.account_id, amount=credits)
        return issued.account_id, {"Authorization": f"Bearer {issued.key}"}

    def entries(self, account_id: int) -> int:
        with self.database.read() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(LedgerEntry)
                    .where(LedgerEntry.account_id == account_id)
                )
                or 0
            )

    def wait(self, generation_id: str, headers: dict[str, str]) -> dict:
        return wait_finished(self.client, generation_id, headers)


@pytest.fixture
def serve(settings_factory) -> Iterator[Callable[..., Server]]:
    clients: list[TestClient] = []

    def make(**overrides: object) -> Server:
        values: dict[str, object] = {"queue_poll_s": 0.05}
        values.update(overrides)
        client = TestClient(create_app(settings_factory(**values)))
        client.__enter__()
        clients.append(client)
        return Server(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_a_test_key_is_never_charged_and_says_livemode_false(serve) -> None:
    # no allowance at all: a test key needs no credits
    server = serve(free_daily_credits=0)
    account_id, headers = server.key(test=True)
    made = server.client.post("/api/v1/generate", json={**PROMPT, "n": 2}, headers=headers)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["livemode"] is False and body["credits_used"] == 0 and body["status"] == "completed"
    assert len(body["images"]) == 2

    # the image is the placeholder's, and provenance says so
    data = server.client.get(body["image_url"]).content
    assert Image.open(io.BytesIO(data)).size == (512, 512)
    verified = server.client.post("/api/v1/verify", content=data, headers=headers).json()
    assert verified["placeholder"] is True and verified["generation_id"] == body["id"]

    # reads, lists and the account say it too; nothing moved in the ledger
    read = server.client.get(f"/api/v1/generations/{body['id']}", headers=headers).json()
    assert read["livemode"] is False and read["credits_used"] == 0
    listed = server.client.get("/api/v1/generations", headers=headers).json()["data"]
    assert [item["livemode"] for item in listed] == [False]
    account = server.client.get("/api/v1/account", headers=headers).json()
    assert account["livemode"] is False and account["credits_available"] == 0
    assert server.entries(account_id) == 0
    with server.database.read() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Reservation).where(Reservation.status == "open")
            )
            == 0
        )


def test_a_live_key_says_livemode_true_and_is_charged(serve) -> None:
    server = serve()
    account_id, headers = server.key(test=False)
    made = server.client.post("/api/v1/generate", json=PROMPT, headers=headers).json()
    assert made["livemode"] is True and made["credits_used"] == 1
    account = server.client.get("/api/v1/account", headers=headers).json()
    assert account["livemode"] is True and account["credits_available"] == 4
    with server.database.read() as session:
        audit = ledger.audit(session=session, account_id=account_id)
    assert audit.consistent and server.entries(account_id) > 0


def test_a_test_key_has_its_own_rate_limit(serve) -> None:
    server = serve(rate_limit_test="2/minute", rate_limit_free="50/minute")
    _, test_headers = server.key(test=True)
    _, live_headers = server.key(test=False, credits=10)
    for _ in range(2):
        ok = server.client.post("/api/v1/generate", json=PROMPT, headers=test_headers)
        assert ok.status_code == 200
        assert ok.headers["x-ratelimit-limit"] == "2"
    limited = server.client.post("/api/v1/generate", json=PROMPT, headers=test_headers)
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    # reads stay on the read limit, and live keys of the same plan on theirs
    assert server.client.get("/api/v1/account", headers=test_headers).status_code == 200
    live = server.client.post("/api/v1/generate", json=PROMPT, headers=live_headers)
    assert live.status_code == 200 and live.headers["x-ratelimit-limit"] == "50"


def test_moderation_refuses_test_keys_exactly_as_live_ones(serve) -> None:
    server = serve()
    account_id, headers = server.key(test=True)
    body = {"prompt": "a portrait on a beach", "style": "nude", "appearance": {"body_type": "teen"}}
    refused = server.client.post("/api/v1/generate", json=body, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "content_blocked"
    assert refused.json()["field"] == "appearance.body_type"
    with server.database.read() as session:
        event = session.scalars(select(ModerationEvent)).one()
        assert event.account_id == account_id
    # the adult style takes no picture from a test key either
    picture = {"prompt": "a portrait", "style": "nude", "type": "i2i", "image": "upl_x"}
    assert server.client.post("/api/v1/generate", json=picture, headers=headers).status_code == 403
    assert server.entries(account_id) == 0


def test_a_test_keys_queued_job_and_its_webhook_say_livemode_false(serve) -> None:
    server = serve(webhook_allow_private=True)
    account_id, headers = server.key(test=True)
    queued = server.client.post(
        "/api/v1/generate",
        json={**PROMPT, "webhook_url": "http://127.0.0.1:9/hook"},
        headers=headers,
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["livemode"] is False
    done = server.wait(queued.json()["id"], headers)
    assert done["status"] == "completed" and done["livemode"] is False
    assert done["credits_used"] == 0
    with server.database.read() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
    assert json.loads(delivery.payload)["data"]["livemode"] is False
    assert server.entries(account_id) == 0
