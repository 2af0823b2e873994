"""Multi-process crash recovery: only the holds of gone processes are released."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from limner import keys, ledger
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Generation, Instance, Reservation
from limner.recovery import InstanceInfo, Recovery, RecoveryPolicy, host_identity, pid_alive

POLICY = RecoveryPolicy(heartbeat_s=1, stale_after_s=60, unowned_after_s=300)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'recovery.db'}"
    db = Database(url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def live_pid() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def hold(database: Database, account_id: int, owner: str | None, age_s: float = 0) -> str:
    with database.transaction() as session:
        reservation = ledger.reserve(
            session=session,
            account_id=account_id,
            amount=1,
            allowance=10,
            generation_id="gen_x",
            owner=owner,
        )
        reservation.created_at = utcnow() - timedelta(seconds=age_s)
        return reservation.id


def register(database: Database, info: InstanceInfo, silent_s: float = 0) -> None:
    Recovery(database, POLICY, me=info).register()
    with database.transaction() as session:
        session.execute(
            update(Instance)
            .where(Instance.id == info.id)
            .values(heartbeat_at=utcnow() - timedelta(seconds=silent_s))
        )


def test_pid_alive(live_pid: int, dead_pid: int) -> None:
    assert pid_alive(live_pid)
    assert not pid_alive(dead_pid)


def test_sweep_releases_only_gone_owners(database: Database, live_pid: int, dead_pid: int) -> None:
    with database.transaction() as session:
        account_id = keys.create_key(session=session).account_id
    here = host_identity()
    owners = {
        "alive_here": InstanceInfo("ins_alive", here, live_pid),
        "dead_here": InstanceInfo("ins_dead", here, dead_pid),
        "elsewhere": InstanceInfo("ins_remote", "other-host|pid:[1]", 4242),
        "silent_elsewhere": InstanceInfo("ins_silent", "other-host|pid:[1]", 4243),
    }
    for name, info in owners.items():
        register(database, info, silent_s=120 if name == "silent_elsewhere" else 0)
    holds = {name: hold(database, account_id, info.id) for name, info in owners.items()}
    holds["unowned_old"] = hold(database, account_id, None, age_s=600)
    holds["unowned_recent"] = hold(database, account_id, None, age_s=10)

    me = Recovery(database, POLICY)
    me.register()
    assert me.sweep() == 3
    assert me.sweep() == 0  # a second sweep (or another process's) releases nothing twice

    with database.read() as session:
        status = dict(session.execute(select(Reservation.id, Reservation.status)).all())
        instances = set(session.scalars(select(Instance.id)))
        audit = ledger.audit(session=session, account_id=account_id)
    released = {name for name, rid in holds.items() if status[rid] == "released"}
    assert released == {"dead_here", "silent_elsewhere", "unowned_old"}
    # gone instances that hold nothing are forgotten; live ones stay
    assert instances == {me.me.id, "ins_alive", "ins_remote"}
    assert audit.consistent and audit.open_reservations == 3


def test_a_previous_life_with_our_pid_is_gone(database: Database) -> None:
    """A container restarted in place gets the same PID 1: the old owner is not us."""
    with database.transaction() as session:
        account_id = keys.create_key(session=session).account_id
    me = Recovery(database, POLICY)
    previous = InstanceInfo("ins_previous", me.me.host, me.me.pid)
    register(database, previous)
    held = hold(database, account_id, previous.id)
    me.register()
    assert me.sweep() == 1
    with database.read() as session:
        assert session.get(Reservation, held).status == "released"


def test_a_test_keys_generation_of_a_gone_process_is_failed_without_ledger_entries(
    database: Database,
) -> None:
    """A test key holds nothing, but its zero hold names the owner, so a crash is recovered."""
    with database.transaction() as session:
        account_id = keys.create_key(session=session, test=True).account_id
        session.add(
            Generation(
                id="gen_testkeyrunning",
                account_id=account_id,
                status="running",
                prompt="a lighthouse at dusk",
                quality="fast",
                style="realistic",
                params={},
                seed=1,
                backend="placeholder",
                created_at=utcnow(),
                livemode=False,
            )
        )
        session.flush()
        ledger.hold_nothing(
            session=session,
            account_id=account_id,
            generation_id="gen_testkeyrunning",
            owner="ins_crashed",
        )
    register(database, InstanceInfo("ins_crashed", "other-host|pid:[1]", 4242), silent_s=120)
    me = Recovery(database, POLICY)
    me.register()
    assert me.sweep() == 1
    with database.read() as session:
        generation = session.get(Generation, "gen_testkeyrunning")
        assert generation.status == "failed" and generation.credits_used == 0
        assert ledger.entries(session=session, account_id=account_id) == []


def test_heartbeat_thread_and_clean_stop(database: Database) -> None:
    recovery = Recovery(
        database, RecoveryPolicy(heartbeat_s=0.05, stale_after_s=60, unowned_after_s=60)
    )
    recovery.start()
    with database.read() as session:
        first = session.get(Instance, recovery.me.id).heartbeat_at
    deadline = utcnow() + timedelta(seconds=10)
    while True:
        with database.read() as session:
            beat = session.get(Instance, recovery.me.id).heartbeat_at
        if beat > first or utcnow() > deadline:
            break
        time.sleep(0.02)
    recovery.stop()
    with database.read() as session:
        row = session.get(Instance, recovery.me.id)
    assert beat > first
    assert row.stopped_at is not None
