"""Start-up recovery after a crash: nothing is lost, nothing is charged twice.

Like the rest of the backbone this assumes one server process per database: whatever was
`running` before this process started was running in a process that is now dead.

- An asynchronous job left `running` is re-queued with its reservation kept, until it has been
  claimed `max_attempts` times; then it is failed and its reservation released.
- A synchronous generation left `running` is failed (its client is gone) and released.
- Every other reservation still open from before the start is released, except those of queued
  jobs, which will run (and settle) after the restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from limner import ledger
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Generation, Job, Reservation
from limner.jobs.states import JobStatus

log = logging.getLogger(__name__)

RESTART_MESSAGE = "Interrupted by a server restart; not charged."


@dataclass(frozen=True)
class RecoveryReport:
    requeued: int
    failed: int
    released: int


def recover(database: Database, *, started_at: datetime, max_attempts: int) -> RecoveryReport:
    now = utcnow()
    with database.transaction() as session:
        orphans = session.execute(
            select(Generation.id, Job.attempts)
            .join(Job, Job.generation_id == Generation.id)
            .where(Generation.status == JobStatus.running.value, Generation.created_at < started_at)
        ).all()
        retry = [gid for gid, attempts in orphans if attempts < max_attempts]
        if retry:
            session.execute(
                update(Generation)
                .where(Generation.id.in_(retry), Generation.status == JobStatus.running.value)
                .values(status=JobStatus.queued.value)
            )
            session.execute(
                update(Job)
                .where(Job.generation_id.in_(retry))
                .values(worker_id=None, available_at=now)
            )
        failed = session.execute(
            update(Generation)
            .where(
                Generation.status.in_((JobStatus.running.value,)),
                Generation.created_at < started_at,
            )
            .values(
                status=JobStatus.failed.value,
                error_code="generation_failed",
                error_message=RESTART_MESSAGE,
                completed_at=now,
            )
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        open_reservations = session.execute(
            select(Reservation.id, Generation.status)
            .outerjoin(Generation, Generation.id == Reservation.generation_id)
            .where(Reservation.status == "open", Reservation.created_at < started_at)
        ).all()
        released = 0
        for reservation_id, status in open_reservations:
            if status == JobStatus.queued.value:
                continue  # it will run after the restart
            ledger.release(session=session, reservation_id=reservation_id, reason="server restart")
            released += 1
    report = RecoveryReport(requeued=len(retry), failed=int(failed or 0), released=released)
    if report.requeued or report.failed or report.released:
        log.warning(
            "recovered after a restart: %d job(s) re-queued, %d generation(s) failed, "
            "%d reservation(s) released",
            report.requeued,
            report.failed,
            report.released,
        )
    return report
