"""The durable queue: the `jobs` table beside `generations`, worked by claiming.

A claim is one transaction: pick the next job, then move its generation `queued -> running` with
a conditional UPDATE (`WHERE status = 'queued'`), so two workers can never both run one job. On
PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`, so workers in several processes pass each other
instead of waiting; on SQLite `BEGIN IMMEDIATE` serialises claims.

Fairness: the next job belongs to the key whose last claim is the oldest (a key never claimed
comes first), and within a key the oldest job goes first: round-robin across keys, so one key
that queues a hundred jobs cannot starve the others.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Generation, Job, Reservation
from limner.generation.lifecycle import Lifecycle
from limner.generation.states import JobStatus
from limner.generation.views import QueuePlace


class JobQueue:
    def __init__(
        self,
        database: Database,
        *,
        lifecycle: Lifecycle,
        workers: int,
        owner: str | None = None,
        kinds: frozenset[str] | None = None,
        test_kinds: frozenset[str] = frozenset(),
    ) -> None:
        self.lifecycle = lifecycle
        #: the kinds of job this process's backends can make (None: any); a worker claims only
        #: those, so a machine without, say, a video model leaves video jobs to one that has it
        self.kinds = kinds
        #: the kinds of test keys' jobs it takes besides: every process has the placeholder
        #: backend that test keys use, so any process can run them
        self.test_kinds = test_kinds
        #: this process's instance id: a claimed job's credit hold is recorded as ours
        self.owner = owner
        self.database = database
        self.workers = max(1, workers)

    def claim(self, worker_id: str) -> str | None:
        """Take the next job fairly and mark it running; None when nothing is ready."""
        now = utcnow()
        other = aliased(Job)
        last_claim = (
            select(func.max(other.claimed_at))
            .where(other.account_id == Job.account_id)
            .correlate(Job)
            .scalar_subquery()
        )
        pick = (
            select(Job.generation_id)
            .join(Generation, Generation.id == Job.generation_id)
            .where(Generation.status == JobStatus.queued.value, Job.available_at <= now)
            .order_by(last_claim.asc().nulls_first(), Job.queued_at, Job.generation_id)
            .limit(1)
        )
        if self.kinds is not None:
            claimable: ColumnElement[bool] = Job.kind.in_(sorted(self.kinds))
            if self.test_kinds:
                test_job = and_(
                    Generation.livemode.is_(False), Job.kind.in_(sorted(self.test_kinds))
                )
                claimable = or_(claimable, test_job)
            pick = pick.where(claimable)
        if not self.database.is_sqlite:
            pick = pick.with_for_update(skip_locked=True, of=Job)
        with self.database.transaction() as session:
            generation_id = session.scalar(pick)
            if generation_id is None:
                return None
            if not self.lifecycle.claim(session=session, generation_id=generation_id):
                return None  # canceled between the pick and the update
            session.execute(
                update(Job)
                .where(Job.generation_id == generation_id)
                .values(claimed_at=now, attempts=Job.attempts + 1, worker_id=worker_id)
            )
            session.execute(
                update(Reservation)
                .where(Reservation.generation_id == generation_id, Reservation.status == "open")
                .values(owner=self.owner)
            )
        return str(generation_id)

    def defer(self, generation_id: str, delay_s: float) -> None:
        """Put a claimed job back (the backend was busy); the claim does not count."""
        with self.database.transaction() as session:
            if not self.lifecycle.requeue(session=session, generation_id=generation_id):
                return
            session.execute(
                update(Job)
                .where(Job.generation_id == generation_id)
                .values(
                    available_at=utcnow() + timedelta(seconds=delay_s),
                    attempts=Job.attempts - 1,
                    worker_id=None,
                )
            )

    def cancel_requested(self, generation_id: str) -> bool:
        with self.database.read() as session:
            return bool(
                session.scalar(
                    select(Job.cancel_requested).where(Job.generation_id == generation_id)
                )
            )

    def place(self, generation_id: str) -> QueuePlace | None:
        """Where a queued job stands, estimated under round-robin: the jobs ahead of the k-th
        job of a key are its own k-1 plus up to k of every other key's."""
        with self.database.read() as session:
            job = session.get(Job, generation_id)
            if job is None:
                return None
            queued = (
                select(Job.account_id, Job.queued_at)
                .join(Generation, Generation.id == Job.generation_id)
                .where(Generation.status == JobStatus.queued.value)
            )
            rows = session.execute(queued).all()
            durations = session.execute(
                select(Job.claimed_at, Job.finished_at)
                .where(Job.finished_at.is_not(None), Job.claimed_at.is_not(None))
                .order_by(Job.finished_at.desc())
                .limit(20)
            ).all()
        rank = sum(1 for account, at in rows if account == job.account_id and at <= job.queued_at)
        counts: dict[int, int] = {}
        for account, _at in rows:
            if account != job.account_id:
                counts[account] = counts.get(account, 0) + 1
        position = max(1, rank + sum(min(count, rank) for count in counts.values()))
        wait: int | None = None
        if durations:
            average = sum(
                (end - start).total_seconds() for start, end in durations if start and end
            ) / len(durations)
            wait = math.ceil(math.ceil(position / self.workers) * average)
        return QueuePlace(position=position, estimated_wait_s=wait)
