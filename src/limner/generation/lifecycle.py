"""The one place a generation's status changes.

Every move is a conditional UPDATE from the source states the transition table allows
(`limner.generation.states`), so two actors racing (a worker finishing, the owner canceling,
another process's crash recovery) cannot both win: the loser's call returns False or None and
changes nothing. A move into a terminal state always runs the same steps, whatever caused it
(success, failure, cancel, timeout, a busy backend, crash recovery):

1. the status, `completed_at` and the error fields of the generation;
2. the ledger: the charge captured (completed) or the whole hold released (anything else);
3. `jobs.finished_at`;
4. the terminal hooks (the webhook outbox, live progress, waking the dispatcher), in the same
   transaction, so a webhook message exists exactly when the final state does.

Callers own the transaction (`session`), so a claim or a settle is atomic with their own rows
(the queue's bookkeeping, a completed generation's image rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from limner import ledger
from limner.clock import utcnow
from limner.db.tables import Generation, Job, Reservation
from limner.generation.states import JobStatus, check_move, sources_of

__all__ = ["Ending", "Lifecycle", "TerminalHook"]

#: called inside the transaction of every move into a terminal state, with the settled row
TerminalHook = Callable[[Session, Generation], None]


@dataclass(frozen=True)
class Ending:
    """How a generation ends: its terminal state, what to charge and what to tell the owner."""

    status: JobStatus
    #: credits to capture from the hold (completed only); the rest of the hold is released
    charge: int = 0
    error_code: str | None = None
    error_message: str | None = None

    def __post_init__(self) -> None:
        if not self.status.terminal:
            raise ValueError(f"{self.status.value} is not a terminal state")
        if self.charge and self.status is not JobStatus.completed:
            raise ValueError("only a completed generation is charged")

    @classmethod
    def canceled(cls) -> Ending:
        return cls(JobStatus.canceled, 0, "canceled", "Canceled by the owner; not charged.")

    @classmethod
    def failed(cls, code: str, message: str) -> Ending:
        return cls(JobStatus.failed, 0, code, message[:300])


class Lifecycle:
    """Owns the status column of `generations` (nothing else writes it)."""

    def __init__(self) -> None:
        self.terminal_hooks: list[TerminalHook] = []

    # -- entry ---------------------------------------------------------------------------------

    def open(
        self, *, session: Session, generation: Generation, job: Job | None = None
    ) -> Generation:
        """Insert a new generation: `queued` with its job row, or `running` without one (the
        caller runs it at once)."""
        generation.status = (JobStatus.queued if job is not None else JobStatus.running).value
        session.add(generation)
        if job is not None:
            session.flush()  # the job row references the generation
            session.add(job)
        return generation

    # -- non-terminal moves --------------------------------------------------------------------

    def claim(self, *, session: Session, generation_id: str) -> bool:
        """queued -> running. False when it was not queued any more (canceled meanwhile)."""
        return self._move(session, generation_id, JobStatus.queued, JobStatus.running)

    def requeue(self, *, session: Session, generation_id: str) -> bool:
        """running -> queued (a busy backend, or a process that died mid-run): the credit hold
        stays open and belongs to the queue again until the next claim."""
        if not self._move(session, generation_id, JobStatus.running, JobStatus.queued):
            return False
        session.execute(
            update(Reservation)
            .where(Reservation.generation_id == generation_id, Reservation.status == "open")
            .values(owner=None)
            .execution_options(synchronize_session=False)
        )
        return True

    def _move(
        self, session: Session, generation_id: str, source: JobStatus, target: JobStatus
    ) -> bool:
        check_move(source, target)
        moved = session.execute(
            update(Generation)
            .where(Generation.id == generation_id, Generation.status == source.value)
            .values(status=target.value)
            .execution_options(synchronize_session=False)
        )
        return bool(moved.rowcount == 1)  # type: ignore[attr-defined]

    # -- terminal moves ------------------------------------------------------------------------

    def finish(
        self,
        *,
        session: Session,
        generation_id: str,
        ending: Ending,
        sources: Iterable[JobStatus] | None = None,
        release_reason: str | None = None,
    ) -> Generation | None:
        """Move into `ending.status` from one of `sources` (default: every state the table
        allows) and settle money, job and hooks. None when the generation was in no such state
        (another actor settled it first): nothing was changed."""
        allowed = tuple(JobStatus(s) for s in sources_of(ending.status))
        chosen = tuple(sources) if sources is not None else allowed
        for source in chosen:
            check_move(source, ending.status)
        now = utcnow()
        moved = session.execute(
            update(Generation)
            .where(
                Generation.id == generation_id,
                Generation.status.in_([source.value for source in chosen]),
            )
            .values(
                status=ending.status.value,
                completed_at=now,
                error_code=ending.error_code,
                error_message=ending.error_message,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return None
        charged = self._settle_credits(session, generation_id, ending, release_reason)
        if charged:
            session.execute(
                update(Generation)
                .where(Generation.id == generation_id)
                .values(credits_used=charged)
                .execution_options(synchronize_session=False)
            )
        session.execute(
            update(Job)
            .where(Job.generation_id == generation_id)
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )
        settled = session.get(Generation, generation_id, populate_existing=True)
        assert settled is not None
        for hook in self.terminal_hooks:
            hook(session, settled)
        return settled

    def _settle_credits(
        self, session: Session, generation_id: str, ending: Ending, reason: str | None
    ) -> int:
        reservation_id = session.scalar(
            select(Reservation.id).where(
                Reservation.generation_id == generation_id, Reservation.status == "open"
            )
        )
        if reservation_id is None:
            return 0
        if ending.status is JobStatus.completed:
            return ledger.capture_partial(
                session=session, reservation_id=reservation_id, amount=ending.charge
            )
        ledger.release(
            session=session,
            reservation_id=reservation_id,
            reason=reason or ending.error_code or ending.status.value,
        )
        return 0
