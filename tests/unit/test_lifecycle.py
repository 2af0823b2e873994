"""The lifecycle on a real database: every move checked against the table, the same terminal
steps whatever the cause, and exactly one winner when two actors settle one generation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from limner import keys, ledger
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Generation, Job, LedgerEntry, Reservation
from limner.generation.lifecycle import Ending, Lifecycle
from limner.generation.states import InvalidTransition, JobStatus


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'lifecycle.db'}"
    db = Database(url)
    upgrade(db)
    yield db
    db.dispose()


class Recorder:
    """A terminal hook that remembers what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, _session: object, generation: Generation) -> None:
        with self.lock:
            self.seen.append((generation.id, generation.status))


@pytest.fixture
def lifecycle() -> tuple[Lifecycle, Recorder]:
    recorder = Recorder()
    machine = Lifecycle()
    machine.terminal_hooks.append(recorder)
    return machine, recorder


def submit(
    database: Database, lifecycle: Lifecycle, *, queued: bool, cost: int = 2, kind: str = "t2i"
) -> str:
    """A generation with its credit hold, as the engine records one."""
    with database.transaction() as session:
        account_id = keys.create_key(session=session).account_id
        ledger.grant(session=session, account_id=account_id, amount=10)
    generation_id = f"gen_{'q' if queued else 'r'}{account_id:015d}"
    now = utcnow()
    with database.transaction() as session:
        ledger.reserve(
            session=session,
            account_id=account_id,
            amount=cost,
            allowance=0,
            generation_id=generation_id,
        )
        generation = Generation(
            id=generation_id,
            account_id=account_id,
            type=kind,
            prompt="a lighthouse at dusk",
            quality="fast",
            style="realistic",
            params={},
            seed=1,
            backend="placeholder",
            created_at=now,
        )
        job = None
        if queued:
            job = Job(
                generation_id=generation_id,
                account_id=account_id,
                kind=kind,
                attempts=0,
                queued_at=now,
                available_at=now,
                cancel_requested=False,
            )
        lifecycle.open(session=session, generation=generation, job=job)
    return generation_id


def state(database: Database, generation_id: str) -> tuple[str, str, int, bool]:
    """(status, reservation status, credits_used, job finished)."""
    with database.read() as session:
        generation = session.get(Generation, generation_id)
        reservation = session.scalars(
            select(Reservation).where(Reservation.generation_id == generation_id)
        ).one()
        job = session.get(Job, generation_id)
        assert generation is not None
        finished = job is not None and job.finished_at is not None
        return generation.status, reservation.status, generation.credits_used, finished


def test_a_job_runs_and_completes_with_every_terminal_step(database, lifecycle) -> None:
    machine, recorder = lifecycle
    generation_id = submit(database, machine, queued=True)
    assert state(database, generation_id)[:2] == ("queued", "open")
    with database.transaction() as session:
        assert machine.claim(session=session, generation_id=generation_id)
        assert not machine.claim(session=session, generation_id=generation_id)  # not queued now
    with database.transaction() as session:
        settled = machine.finish(
            session=session,
            generation_id=generation_id,
            ending=Ending(JobStatus.completed, charge=1),
        )
    assert settled is not None and settled.status == "completed"
    assert state(database, generation_id) == ("completed", "captured", 1, True)
    assert recorder.seen == [(generation_id, "completed")]
    # a second settle finds nothing to move: nothing runs twice
    with database.transaction() as session:
        again = machine.finish(
            session=session, generation_id=generation_id, ending=Ending.canceled()
        )
    assert again is None and recorder.seen == [(generation_id, "completed")]


def test_requeue_hands_the_hold_back_to_the_queue(database, lifecycle) -> None:
    machine, recorder = lifecycle
    generation_id = submit(database, machine, queued=True)
    with database.transaction() as session:
        machine.claim(session=session, generation_id=generation_id)
        session.execute(
            Reservation.__table__.update()
            .where(Reservation.generation_id == generation_id)
            .values(owner="ins_me")
        )
    with database.transaction() as session:
        assert machine.requeue(session=session, generation_id=generation_id)
        assert not machine.requeue(session=session, generation_id=generation_id)
    with database.read() as session:
        reservation = session.scalars(
            select(Reservation).where(Reservation.generation_id == generation_id)
        ).one()
        assert (reservation.status, reservation.owner) == ("open", None)
    assert state(database, generation_id)[0] == "queued" and recorder.seen == []


@pytest.mark.parametrize(
    ("queued", "ending"),
    [
        (True, Ending.canceled()),
        (True, Ending.failed("generation_failed", "Interrupted by a server restart.")),
        (False, Ending.failed("generation_failed", "Generation timed out.")),
        (False, Ending.canceled()),
    ],
)
def test_every_other_ending_releases_and_runs_the_same_hooks(
    database, lifecycle, queued: bool, ending: Ending
) -> None:
    machine, recorder = lifecycle
    generation_id = submit(database, machine, queued=queued)
    with database.transaction() as session:
        settled = machine.finish(session=session, generation_id=generation_id, ending=ending)
    assert settled is not None
    assert (settled.error_code, settled.completed_at is not None) == (ending.error_code, True)
    assert state(database, generation_id) == (ending.status.value, "released", 0, queued)
    assert recorder.seen == [(generation_id, ending.status.value)]


def test_moves_outside_the_table_are_bugs(database, lifecycle) -> None:
    machine, _ = lifecycle
    generation_id = submit(database, machine, queued=False)
    with database.transaction() as session, pytest.raises(InvalidTransition):
        machine.finish(
            session=session,
            generation_id=generation_id,
            ending=Ending.canceled(),
            sources=(JobStatus.completed,),
        )
    with pytest.raises(ValueError, match="terminal"):
        Ending(JobStatus.running)
    with pytest.raises(ValueError, match="charged"):
        Ending(JobStatus.failed, charge=1)


def test_two_actors_settling_at_once_have_one_winner(database, lifecycle) -> None:
    """A worker completing and the owner canceling at the same moment: one wins, the ledger
    settles once, the hooks run once."""
    machine, recorder = lifecycle
    generation_id = submit(database, machine, queued=False)
    start = threading.Barrier(2)
    results: dict[str, Generation | None] = {}

    def settle(name: str, ending: Ending) -> None:
        start.wait(timeout=30)
        with database.transaction() as session:
            results[name] = machine.finish(
                session=session, generation_id=generation_id, ending=ending
            )

    threads = [
        threading.Thread(target=settle, args=("worker", Ending(JobStatus.completed, charge=2))),
        threading.Thread(target=settle, args=("owner", Ending.canceled())),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [name for name, settled in results.items() if settled is not None]
    assert len(results) == 2 and len(winners) == 1
    status = state(database, generation_id)
    assert status[0] == ("completed" if winners == ["worker"] else "canceled")
    assert len(recorder.seen) == 1
    with database.read() as session:
        account_id = session.get(Generation, generation_id).account_id
        audit = ledger.audit(session=session, account_id=account_id)
        settles = session.scalars(
            select(LedgerEntry.kind).where(
                LedgerEntry.generation_id == generation_id,
                LedgerEntry.kind.in_(("capture", "release")),
            )
        ).all()
    assert audit.consistent and audit.open_reservations == 0
    assert len(settles) == 1


def test_a_worker_claims_only_the_kinds_its_backends_make(database, lifecycle) -> None:
    from limner.jobs.queue import JobQueue

    machine, _ = lifecycle
    picture_job = submit(database, machine, queued=True, kind="i2i")
    text_only = JobQueue(database, lifecycle=machine, workers=1, kinds=frozenset({"t2i"}))
    assert text_only.claim("w1") is None  # left for a process that can make it
    assert state(database, picture_job)[0] == "queued"
    text_job = submit(database, machine, queued=True)
    assert text_only.claim("w1") == text_job
    both = JobQueue(database, lifecycle=machine, workers=1, kinds=frozenset({"t2i", "i2i"}))
    assert both.claim("w2") == picture_job
