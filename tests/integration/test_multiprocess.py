"""Several API processes sharing PostgreSQL and Redis, as in a scaled-out deployment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from limner import keys, ledger
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Reservation
from tests.support.live_server import free_port, wait_until_ready
from tests.support.remote_gate import ENV, GateServer

LIMNER = [sys.executable, "-m", "limner.cli"]
ROOT = Path(__file__).resolve().parents[2]
#: `limner serve` with a backend that waits for the test's word (tests.support.remote_gate)
GATED = [sys.executable, "-m", "tests.support.gated_serve"]


def server_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    env["LIMNER_DATA_DIR"] = str(tmp_path / "data")
    env["LIMNER_BACKEND"] = "placeholder"
    env.update({f"LIMNER_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def servers(
    env: dict[str, str], count: int, *args: str, command: list[str] | None = None
) -> Iterator[list[str]]:
    """`count` `limner serve` processes (or `command`) on their own ports; yields their URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        # one after the other, as in a rolling start: the first start also makes the data
        # dir's provenance key, which two processes must not race to create
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        *(command or [*LIMNER, "serve"]),
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        *args,
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_ready(urls[-1])
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def new_key(database_url: str, credits: int) -> tuple[str, int]:
    database = Database(database_url)
    try:
        upgrade(database)
        with database.transaction() as session:
            issued = keys.create_key(session=session)
            if credits:
                ledger.grant(session=session, account_id=issued.account_id, amount=credits)
        return issued.key, issued.account_id
    finally:
        database.dispose()


@pytest.mark.postgres
def test_two_processes_sharing_postgres_never_overspend(tmp_path: Path, postgres_url: str) -> None:
    env = server_env(
        tmp_path,
        database_url=postgres_url,
        free_daily_credits="0",
        rate_limit_free="1000/minute",
        generation_workers="4",
        generation_queue_size="64",
        placeholder_delay_s="0.02",
    )
    key, account_id = new_key(postgres_url, credits=7)
    headers = {"Authorization": f"Bearer {key}"}

    with servers(env, 2) as urls:

        def one(index: int) -> tuple[int, int]:
            quality = "hires" if index % 3 == 0 else "fast"
            response = httpx.post(
                f"{urls[index % 2]}/api/v1/generate",
                json={"prompt": f"a lighthouse at dusk, take {index}", "quality": quality},
                headers=headers,
                timeout=60,
            )
            assert response.status_code in (200, 402), response.text
            spent = response.json()["credits_used"] if response.status_code == 200 else 0
            return index % 2, spent

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, range(40)))
        balances = [
            httpx.get(f"{url}/api/v1/account", headers=headers).json()["credits_available"]
            for url in urls
        ]

    # fast costs 1 and hires 2, so with 7 credits every last credit can be spent
    assert sum(spent for _, spent in results) == 7
    assert balances == [0, 0]
    database = Database(postgres_url)
    try:
        with database.transaction() as session:
            result = ledger.audit(session=session, account_id=account_id)
        assert result.consistent
        assert (result.granted_balance, result.open_reservations) == (0, 0)
    finally:
        database.dispose()


@pytest.mark.redis
def test_rate_limits_hold_across_two_processes_sharing_redis(
    tmp_path: Path, redis_prefix: tuple[str, str]
) -> None:
    redis_url, prefix = redis_prefix
    env = server_env(
        tmp_path, redis_url=redis_url, redis_key_prefix=prefix, rate_limit_free="5/minute"
    )
    key, _ = new_key(f"sqlite:///{tmp_path / 'data' / 'limner.db'}", credits=50)
    headers = {"Authorization": f"Bearer {key}"}

    with servers(env, 2) as urls:

        def one(index: int) -> int:
            return httpx.post(
                f"{urls[index % 2]}/api/v1/generate",
                json={"prompt": "a lighthouse at dusk"},
                headers=headers,
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(one, range(12)))
        # a third process (here: a peek from the other server) sees the same window
        remaining = {
            httpx.post(f"{url}/api/v1/generate", json={"prompt": "x"}, headers=headers).headers[
                "X-RateLimit-Remaining"
            ]
            for url in urls
        }

    assert sorted(statuses) == [200] * 5 + [429] * 7
    assert remaining == {"0"}


@pytest.mark.postgres
def test_a_starting_process_leaves_other_processes_holds_alone(
    tmp_path: Path, postgres_url: str
) -> None:
    env = server_env(tmp_path, database_url=postgres_url)
    gate = GateServer()
    env[ENV] = gate.address
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    key, _ = new_key(postgres_url, credits=0)
    database = Database(postgres_url)
    outcome: dict[str, httpx.Response] = {}
    try:
        with servers(env, 1, command=GATED) as (first,):
            request = threading.Thread(
                target=lambda: outcome.setdefault(
                    "response",
                    httpx.post(
                        f"{first}/api/v1/generate",
                        json={"prompt": "a lighthouse at dusk"},
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=60,
                    ),
                )
            )
            request.start()
            gate.wait_for("a lighthouse at dusk")  # generating, its credit held, until released
            # a second process starts (and runs crash recovery) while the first is generating
            with servers(env, 1):
                assert "response" not in outcome
                assert open_reservations(database) == 1
            gate.release("a lighthouse at dusk")
            request.join(timeout=60)
        assert outcome["response"].status_code == 200, outcome["response"].text
        assert outcome["response"].json()["credits_used"] == 1
        assert open_reservations(database) == 0
    finally:
        gate.close()
        database.dispose()


def open_reservations(database: Database) -> int:
    with database.read() as session:
        return len(
            session.scalars(select(Reservation.id).where(Reservation.status == "open")).all()
        )


def test_serve_processes_runs_several_workers(tmp_path: Path) -> None:
    """`limner serve --processes 2`: two uvicorn workers, each a registered instance."""
    from limner.db.tables import Instance

    env = server_env(tmp_path)
    database = Database(f"sqlite:///{tmp_path / 'data' / 'limner.db'}")
    try:
        with servers(env, 1, "--processes", "2") as (url,):
            # the second worker registers whenever its start-up ends (40 s under load has been
            # seen); pytest-timeout is the limit, not a clock here
            while True:
                with database.read() as session:
                    live = session.scalars(
                        select(Instance.pid).where(Instance.stopped_at.is_(None))
                    ).all()
                if len(live) == 2:
                    break
                time.sleep(0.1)
            assert len(set(live)) == 2
            assert httpx.get(f"{url}/readyz").status_code == 200
        with database.read() as session:
            stopped = session.scalars(select(Instance.stopped_at)).all()
        assert len(stopped) == 2 and all(moment is not None for moment in stopped)
    finally:
        database.dispose()


@pytest.mark.postgres
def test_two_processes_work_one_postgres_queue_exactly_once(
    tmp_path: Path, postgres_url: str
) -> None:
    from limner.db.tables import Job

    env = server_env(
        tmp_path,
        database_url=postgres_url,
        free_daily_credits="0",
        queue_workers="2",
        queue_poll_s="0.05",
        placeholder_delay_s="0.2",
        rate_limit_free="1000/minute",
    )
    key, account_id = new_key(postgres_url, credits=20)
    headers = {"Authorization": f"Bearer {key}"}
    with servers(env, 2) as urls:
        ids = [
            httpx.post(
                f"{urls[index % 2]}/api/v1/generate",
                headers=headers,
                timeout=30,
                json={"prompt": f"a lighthouse at dusk {index}", "async": True},
            ).json()["id"]
            for index in range(10)
        ]
        deadline = time.monotonic() + 120
        pending = set(ids)
        while pending:
            assert time.monotonic() < deadline, pending
            for generation_id in list(pending):
                body = httpx.get(
                    f"{urls[0]}/api/v1/generations/{generation_id}", headers=headers, timeout=30
                ).json()
                if body["status"] not in ("queued", "running"):
                    assert body["status"] == "completed", body
                    assert body["credits_used"] == 1
                    pending.discard(generation_id)
            time.sleep(0.2)
        account = httpx.get(f"{urls[1]}/api/v1/account", headers=headers, timeout=30).json()
    assert account["credits_available"] == 10
    database = Database(postgres_url)
    try:
        with database.transaction() as session:
            attempts = session.scalars(select(Job.attempts)).all()
            assert sorted(attempts) == [1] * 10  # every job claimed exactly once
            assert ledger.audit(session=session, account_id=account_id).consistent
            open_holds = session.scalars(
                select(Reservation.id).where(Reservation.status == "open")
            ).all()
            assert open_holds == []
    finally:
        database.dispose()
