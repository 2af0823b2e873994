"""An `Idempotency-Key` whose request was cut off by kill -9 is settled at the next start (issue
26 item 3): the retry with the same key runs (the first attempt was failed and not charged)
instead of answering `409 idempotency_key_in_use` until the key expires. The generation's pace is
the test's (a gate across processes), never a clock."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from limner import keys
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Generation, IdempotencyRecord
from tests.integration.test_graceful_shutdown import env, start  # noqa: F401 - the fixture
from tests.support.remote_gate import GateServer

PROMPT = "a lighthouse at dusk, killed midway"


@pytest.fixture
def gate() -> Iterator[GateServer]:
    server = GateServer()
    yield server
    server.close()


def test_a_key_cut_off_by_kill_9_is_settled_at_the_next_start(
    env: dict[str, str],  # noqa: F811
    gate: GateServer,
) -> None:
    database = Database(f"sqlite:///{Path(env['LIMNER_DATA_DIR']) / 'limner.db'}")
    upgrade(database)
    with database.transaction() as session:
        key = keys.create_key(session=session).key  # 5 daily credits, 1 per fast image
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "order-kill-9"}
    body = {"prompt": PROMPT}

    process, base = start(env)
    cut_off: list[httpx.Response | Exception] = []

    def send() -> None:
        try:
            cut_off.append(httpx.post(f"{base}/api/v1/generate", json=body, headers=headers))
        except httpx.HTTPError as exc:  # the killed server's connection just closes
            cut_off.append(exc)

    sender = threading.Thread(target=send)
    try:
        sender.start()
        gate.wait_for(PROMPT)  # the request is generating; its key is in_progress
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        sender.join()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert isinstance(cut_off[0], httpx.HTTPError), cut_off
    with database.read() as session:
        record = session.scalars(select(IdempotencyRecord)).one()
        assert record.state == "in_progress"  # what a crash leaves behind

    gate.open_all()
    process, base = start(env)  # start-up recovery settles what the killed process held
    try:
        retry = httpx.post(f"{base}/api/v1/generate", json=body, headers=headers, timeout=120)
        assert retry.status_code == 200, retry.text  # run again, not 409 in use
        replay = httpx.post(f"{base}/api/v1/generate", json=body, headers=headers, timeout=120)
        assert replay.json() == retry.json() and replay.headers["idempotent-replayed"] == "true"
        account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert account["credits_available"] == 4  # the killed attempt cost nothing
    with database.read() as session:
        statuses = sorted(g.status for g in session.scalars(select(Generation)))
    assert statuses == ["completed", "failed"]
    database.dispose()
