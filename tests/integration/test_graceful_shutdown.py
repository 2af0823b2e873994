"""SIGTERM under load, to a real server process: a running request finishes within the grace
period, a request still running after it is cut off and not charged, a running job goes back
to the queue, a queued job stays queued, and after a restart every credit is accounted for
exactly once. The generations' pace is set by the test (a gate), never by a clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

import limner
from limner import keys, ledger
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Generation, Reservation
from tests.support.live_server import free_port, wait_until_ready
from tests.support.remote_gate import ENV, GateServer

# real signals to a server under load: one worker runs them in turn (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("crash")

ROOT = Path(__file__).resolve().parents[2]
#: long enough for the released request to finish on a loaded machine; the cut-off request
#: waits all of it, since the test never releases it
GRACE_S = "15"


@pytest.fixture
def gate() -> Iterator[GateServer]:
    server = GateServer()
    yield server
    server.close()


@pytest.fixture
def env(tmp_path: Path, gate: GateServer) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    source = str(Path(limner.__file__).resolve().parents[1])
    values["PYTHONPATH"] = os.pathsep.join(filter(None, [source, str(ROOT)]))
    values.update(
        LIMNER_DATA_DIR=str(tmp_path / "data"),
        LIMNER_BACKEND="placeholder",
        LIMNER_SHUTDOWN_GRACE_S=GRACE_S,
        LIMNER_GENERATION_WORKERS="4",
        LIMNER_GENERATION_PER_KEY_LIMIT="4",  # one key's job and two requests run side by side
        LIMNER_QUEUE_WORKERS="1",
        LIMNER_QUEUE_POLL_S="0.05",
        LIMNER_PROVENANCE_C2PA="false",
        **{ENV: gate.address},
    )
    return values


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.gated_serve"],
        env={**env, "LIMNER_TEST_PORT": str(port), "LIMNER_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_ready(base, timeout=120)
    return process, base


def post(base: str, key: str, prompt: str, **extra: object) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/generate",
        json={"prompt": prompt, **extra},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )


def test_sigterm_under_load_loses_and_double_charges_nothing(env, gate: GateServer) -> None:
    database = Database(f"sqlite:///{Path(env['LIMNER_DATA_DIR']) / 'limner.db'}")
    upgrade(database)
    with database.transaction() as session:
        issued = keys.create_key(session=session)  # 5 daily credits, 1 per fast image
    key, account_id = issued.key, issued.account_id

    process, base = start(env)
    answers: dict[str, httpx.Response | Exception] = {}

    def send(prompt: str) -> None:
        try:
            answers[prompt] = post(base, key, prompt)
        except httpx.HTTPError as exc:  # the cut-off request's connection just closes
            answers[prompt] = exc

    try:
        running_job = post(base, key, "job that is running", **{"async": True}).json()["id"]
        gate.wait_for("job that is running")  # the only queue worker is busy with it now
        queued_job = post(base, key, "job that is queued", **{"async": True}).json()["id"]
        requests = [
            threading.Thread(target=send, args=(prompt,))
            for prompt in ("request that finishes", "request that is cut off")
        ]
        for thread in requests:
            thread.start()
        gate.wait_for("request that finishes", "request that is cut off")

        process.send_signal(signal.SIGTERM)
        gate.release("request that finishes")
        for thread in requests:
            thread.join()
        assert process.wait(timeout=120) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)

    finished = answers["request that finishes"]
    assert isinstance(finished, httpx.Response) and finished.status_code == 200, finished
    assert finished.json()["credits_used"] == 1
    cut_off = answers["request that is cut off"]
    assert not (isinstance(cut_off, httpx.Response) and cut_off.status_code == 200)

    with database.read() as session:
        statuses = {g.prompt: g.status for g in session.scalars(select(Generation))}
        holds = session.scalars(select(Reservation).where(Reservation.status == "open")).all()
        audit = ledger.audit(session=session, account_id=account_id)
    assert statuses == {
        "request that finishes": "completed",
        "request that is cut off": "failed",  # and released, not charged
        "job that is running": "queued",  # back in the queue, its credit still held
        "job that is queued": "queued",
    }
    assert sorted(h.generation_id for h in holds) == sorted([running_job, queued_job])
    assert all(h.owner is None for h in holds)  # the queue's, for whichever process runs them
    assert audit.consistent and audit.daily_balance == 5 - 1 - 2  # held credits are not available

    gate.open_all()
    process, base = start(env)
    try:
        for job in (running_job, queued_job):
            deadline = time.monotonic() + 120  # a safety net: the jobs run once the gate is open
            while (status := generation(base, key, job))["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, status
                time.sleep(0.1)
            assert status["status"] == "completed" and status["credits_used"] == 1
        account = httpx.get(
            f"{base}/api/v1/account", headers={"Authorization": f"Bearer {key}"}
        ).json()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    assert account["credits_available"] == 5 - 3  # three images made, each charged once
    with database.read() as session:
        audit = ledger.audit(session=session, account_id=account_id)
    assert audit.consistent and audit.open_reservations == 0
    database.dispose()


def generation(base: str, key: str, generation_id: str) -> dict:
    return httpx.get(
        f"{base}/api/v1/generations/{generation_id}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    ).json()
