"""SIGKILL a real server process while a video job runs: after the restart the job runs again
and completes (charged once) or, with its attempts spent, fails (charged nothing). The job's pace
is set by the test (a gate across processes), its end followed on the event stream: no clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import limner
from limner import keys, ledger
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import LedgerEntry, Reservation
from tests.support.live_server import free_port, wait_until_ready
from tests.support.remote_gate import ENV, GateServer

# a real kill -9 and restart: slow, and one worker runs them in turn (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "a lighthouse at dusk, waves rolling"


@pytest.fixture
def gate() -> Iterator[GateServer]:
    server = GateServer()
    yield server
    server.close()


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.gated_serve"],
        env={**env, "LIMNER_TEST_PORT": str(port), "LIMNER_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        cwd=ROOT,
    )
    wait_until_ready(f"http://127.0.0.1:{port}", timeout=120)
    return process


def follow_to_end(base: str, generation_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The event stream closes at a terminal status; then the final body."""
    with httpx.stream(
        "GET", f"{base}/api/v1/generations/{generation_id}/events", headers=headers, timeout=None
    ) as events:
        for _line in events.iter_lines():
            pass
    body: dict[str, Any] = httpx.get(
        f"{base}/api/v1/generations/{generation_id}", headers=headers
    ).json()
    return body


def open_holds(database: Database) -> int:
    with database.read() as session:
        return len(session.scalars(select(Reservation).where(Reservation.status == "open")).all())


@pytest.mark.parametrize(("max_attempts", "outcome"), [(2, "completed"), (1, "failed")])
def test_sigkill_mid_video(
    tmp_path: Path, gate: GateServer, max_attempts: int, outcome: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    source = str(Path(limner.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, str(ROOT)]))
    env.update(
        LIMNER_DATA_DIR=str(tmp_path / "data"),
        LIMNER_QUEUE_WORKERS="1",
        LIMNER_QUEUE_POLL_S="0.05",
        LIMNER_JOB_MAX_ATTEMPTS=str(max_attempts),
        LIMNER_FREE_DAILY_CREDITS="0",
        **{ENV: gate.address},
    )
    database = Database(f"sqlite:///{tmp_path / 'data' / 'limner.db'}")
    (tmp_path / "data").mkdir(exist_ok=True)
    upgrade(database)
    with database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=10)
    headers = {"Authorization": f"Bearer {issued.key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    server = start(env, port)
    try:
        job = httpx.post(
            f"{base}/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 2},
            headers=headers,
        )
        assert job.status_code == 202, job.text
        gate.wait_for(PROMPT)  # the video is being made now
        running = httpx.get(f"{base}/api/v1/generations/{job.json()['id']}", headers=headers)
        assert running.json()["status"] == "running"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
    assert open_holds(database) == 1  # 4 credits still held by the killed job

    gate.open_all()
    server = start(env, port)
    try:
        body = follow_to_end(base, job.json()["id"], headers)
        assert body["status"] == outcome, body
        charged = 4 if outcome == "completed" else 0
        assert body["credits_used"] == charged
        if outcome == "completed":
            assert body["video_url"].endswith(".mp4") and body["frames"] == 16
        account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
        assert account["credits_available"] == 10 - charged
        assert open_holds(database) == 0
        with database.read() as session:
            audit = ledger.audit(session=session, account_id=issued.account_id)
            assert audit.consistent
            captures = session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.generation_id == job.json()["id"], LedgerEntry.kind == "capture"
                )
            ).all()
        assert len(captures) == (1 if outcome == "completed" else 0)  # never twice
    finally:
        server.terminate()
        server.wait(timeout=20)
        database.dispose()
