"""SIGKILL the server while an async job runs: after the restart the job is finished (or failed
once its retry is spent), queued jobs still run, and the ledger is exact."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from limner import ledger
from limner.config import Settings
from limner.db.engine import Database
from limner.db.tables import Generation, LedgerEntry
from tests.integration.test_cli_and_crash import (
    _open_reservations,
    create_key,
    env,  # noqa: F401 - the fixture
    start_server,
)
from tests.support.events import follow_live
from tests.support.live_server import free_port, wait_until_ready

# a real kill -9 and restart: slow, and one worker runs them in turn (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]


def wait_status(base: str, headers: dict, generation_id: str, wanted: set[str]) -> dict:
    """Until the generation's event stream says one of `wanted` (no clock)."""
    return follow_live(base, generation_id, headers, wanted)


@pytest.mark.parametrize(("max_attempts", "outcome"), [(2, "completed"), (1, "failed")])
def test_sigkill_while_an_async_job_runs(
    env: dict[str, str],  # noqa: F811
    max_attempts: int,
    outcome: str,
) -> None:
    key = create_key(env)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**env, "LIMNER_JOB_MAX_ATTEMPTS": str(max_attempts), "LIMNER_QUEUE_POLL_S": "0.1"}
    server = start_server({**env, "LIMNER_PLACEHOLDER_DELAY_S": "60"}, port)
    database = Database(Settings(data_dir=Path(env["LIMNER_DATA_DIR"])).resolved_database_url())
    try:
        wait_until_ready(base)
        running_job = httpx.post(
            f"{base}/api/v1/generate",
            json={"prompt": "a lighthouse at dusk", "async": True},
            headers=headers,
        ).json()
        waiting_job = httpx.post(
            f"{base}/api/v1/generate",
            json={"prompt": "a harbour at noon", "async": True, "quality": "hires"},
            headers=headers,
        ).json()
        wait_status(base, headers, running_job["id"], {"running"})
        assert (
            httpx.get(f"{base}/api/v1/generations/{waiting_job['id']}", headers=headers).json()[
                "queue_position"
            ]
            == 1
        )
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
    assert _open_reservations(database) == 2  # both jobs still hold their credits

    server = start_server(env, port)
    try:
        wait_until_ready(base)
        first = wait_status(base, headers, running_job["id"], {"completed", "failed"})
        second = wait_status(base, headers, waiting_job["id"], {"completed", "failed"})
        assert first["status"] == outcome
        assert second["status"] == "completed" and second["credits_used"] == 2
        charged = 2 + (1 if outcome == "completed" else 0)
        account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
        assert account["credits_available"] == 5 - charged
        assert _open_reservations(database) == 0
        with database.transaction() as session:
            generation = session.get(Generation, running_job["id"])
            audit = ledger.audit(session=session, account_id=generation.account_id)
            assert audit.consistent
            captures = session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.generation_id == running_job["id"], LedgerEntry.kind == "capture"
                )
            ).all()
            assert len(captures) == (1 if outcome == "completed" else 0)  # never twice
    finally:
        server.terminate()
        server.wait(timeout=20)
        database.dispose()
