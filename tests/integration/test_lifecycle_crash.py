"""A webhook job whose process is killed on its last attempt is failed by crash recovery like any
other failure: through the lifecycle, so it is released (nothing charged), `jobs.finished_at` is
set and the receiver gets a signed `generation.failed` (issue 9; issue 15: "killed twice")."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from limner import ledger
from limner.config import Settings
from limner.db.engine import Database
from limner.db.tables import Generation, Job, LedgerEntry
from tests.integration.test_async_crash import wait_status
from tests.integration.test_cli_and_crash import (
    _open_reservations,
    create_key,
    env,  # noqa: F401 - the fixture
    start_server,
)
from tests.integration.test_webhooks import verify_from_spec
from tests.support.live_server import free_port, wait_until_ready
from tests.support.receiver import Receiver, receiver

# a real kill -9 and restart: slow, and one worker runs them in turn (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]


def wait_received(hook: Receiver, count: int) -> None:
    hook.wait_for(count)


@pytest.mark.parametrize("max_attempts", [1, 2])
def test_a_webhook_job_killed_on_its_last_attempt_is_failed_and_delivered(
    env: dict[str, str],  # noqa: F811
    max_attempts: int,
) -> None:
    key = create_key(env)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **env,
        "LIMNER_JOB_MAX_ATTEMPTS": str(max_attempts),
        "LIMNER_QUEUE_POLL_S": "0.1",
        "LIMNER_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    slow = {**env, "LIMNER_PLACEHOLDER_DELAY_S": "60"}
    database = Database(Settings(data_dir=Path(env["LIMNER_DATA_DIR"])).resolved_database_url())
    with receiver() as hook:
        server = start_server(slow, port)
        try:
            wait_until_ready(base)
            secret = httpx.get(f"{base}/api/v1/webhook-secret", headers=headers).json()["secret"]
            job = httpx.post(
                f"{base}/api/v1/generate",
                json={"prompt": "a lighthouse at dusk", "webhook_url": hook.url},
                headers=headers,
            ).json()
            # every attempt is killed while it runs: the last one leaves nothing to retry
            for attempt in range(max_attempts):
                if attempt:
                    server = start_server(slow, port)
                    wait_until_ready(base)
                wait_status(base, headers, job["id"], {"running"})
                server.send_signal(signal.SIGKILL)
                server.wait(timeout=20)
        finally:
            if server.poll() is None:
                server.kill()
        assert _open_reservations(database) == 1  # the killed job still holds its credit

        server = start_server(env, port)
        try:
            wait_until_ready(base)
            failed = wait_status(base, headers, job["id"], {"completed", "failed"})
            wait_received(hook, 1)
            account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
        finally:
            server.terminate()
            server.wait(timeout=20)

    assert failed["status"] == "failed" and failed["credits_used"] == 0
    assert failed["error"] == "generation_failed"
    assert account["credits_available"] == 5  # nothing charged
    message = hook.received[0]
    assert verify_from_spec(secret, message.headers, message.body)
    body = json.loads(message.body)
    assert body["type"] == "generation.failed"
    assert body["data"]["id"] == job["id"] and body["data"]["status"] == "failed"
    assert _open_reservations(database) == 0
    try:
        with database.read() as session:
            row = session.get(Job, job["id"])
            assert row is not None and row.finished_at is not None
            assert row.attempts == max_attempts
            generation = session.get(Generation, job["id"])
            assert generation is not None and generation.completed_at is not None
            audit = ledger.audit(session=session, account_id=generation.account_id)
            assert audit.consistent and audit.open_reservations == 0
            captures = session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.generation_id == job["id"], LedgerEntry.kind == "capture"
                )
            ).all()
            assert captures == []
    finally:
        database.dispose()
