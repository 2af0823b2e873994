"""Crash recovery that stays correct with many server processes sharing one database.

Each process registers an `Instance` row when it starts and beats its heartbeat every
`instance_heartbeat_s`; each credit reservation names its owner. A process releases only the
reservations of owners that are *gone*:

- the owner's heartbeat is older than `instance_stale_after_s` (a crashed machine, a hung process);
- or the owner ran in the same host and PID namespace as us and its PID is dead (or is our own
  PID: a restarted container's PID 1), which is known at once, so a restart on one box releases
  the holds of the process it replaces without waiting for the heartbeat to age.

Reservations without an owner (written by code that passes none) are released once older than the
generation timeout plus the stale window, when no live generation can still hold them. The same
goes for `Idempotency-Key`s left `in_progress` by a request its process never finished: the key
of a gone owner is freed (as after a 503: its generation was failed, not charged), so a retry
runs instead of answering `409 idempotency_key_in_use` until the key expires. Each
release is its own transaction and the ledger's conditional UPDATE settles a reservation once, so
two processes sweeping at the same time release each hold exactly once. Every process sweeps at
start and then on every heartbeat.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, or_, select, update

from limner import ledger
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Generation, IdempotencyRecord, Instance, Job, Reservation
from limner.generation.lifecycle import Ending, Lifecycle
from limner.generation.states import JobStatus
from limner.ids import new_instance_id

log = logging.getLogger(__name__)

RESTART_REASON = "server restart"
INTERRUPTED = Ending.failed("generation_failed", "Interrupted by a server restart; not charged.")


@dataclass(frozen=True)
class InstanceInfo:
    """Who this process is: a fresh id per start, the host (with PID namespace) and the PID."""

    id: str
    host: str
    pid: int

    @classmethod
    def current(cls) -> InstanceInfo:
        return cls(id=new_instance_id(), host=host_identity(), pid=os.getpid())


def host_identity() -> str:
    """Hostname plus PID namespace: two processes with equal values can see each other's PIDs
    (containers with host networking share a hostname but not a PID namespace)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}|{namespace}"[:200]


def pid_alive(pid: int) -> bool:
    """True when `pid` runs in our PID namespace and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


@dataclass(frozen=True)
class RecoveryPolicy:
    heartbeat_s: float
    stale_after_s: float
    #: unowned reservations older than this are released (queued jobs' holds excepted)
    unowned_after_s: float
    #: a job claimed this many times is failed rather than re-queued when its process dies
    max_attempts: int = 2


@dataclass
class Recovery:
    """Registers this process, beats its heartbeat and releases the holds of gone processes."""

    database: Database
    policy: RecoveryPolicy
    #: status changes go through it, so a failed job is settled like any other
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    me: InstanceInfo = field(default_factory=InstanceInfo.current)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def register(self) -> None:
        now = utcnow()
        with self.database.transaction() as session:
            session.add(
                Instance(
                    id=self.me.id,
                    host=self.me.host,
                    pid=self.me.pid,
                    started_at=now,
                    heartbeat_at=now,
                )
            )

    def beat(self) -> None:
        with self.database.transaction() as session:
            session.execute(
                update(Instance).where(Instance.id == self.me.id).values(heartbeat_at=utcnow())
            )

    def start(self) -> int:
        """Register, sweep once, then beat and sweep in a daemon thread. Returns holds released."""
        self.register()
        released = self.sweep()
        self._thread = threading.Thread(target=self._run, name="limner-heartbeat", daemon=True)
        self._thread.start()
        return released

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self.database.transaction() as session:
            session.execute(
                update(Instance).where(Instance.id == self.me.id).values(stopped_at=utcnow())
            )

    def _run(self) -> None:
        while not self._stop.wait(self.policy.heartbeat_s):
            try:
                self.beat()
                self.sweep()
            except Exception:  # a database blip must not kill the heartbeat thread
                log.exception("heartbeat or recovery sweep failed")

    def gone_owners(self, now: datetime | None = None) -> list[str]:
        now = now or utcnow()
        stale_before = now - timedelta(seconds=self.policy.stale_after_s)
        with self.database.read() as session:
            rows = session.execute(
                select(Instance.id, Instance.host, Instance.pid).where(Instance.id != self.me.id)
            ).all()
            stale = set(
                session.scalars(
                    select(Instance.id).where(
                        Instance.id != self.me.id,
                        or_(Instance.heartbeat_at < stale_before, Instance.stopped_at.is_not(None)),
                    )
                )
            )
        gone = []
        for instance_id, host, pid in rows:
            same_box = host == self.me.host
            if instance_id in stale or (same_box and (pid == self.me.pid or not pid_alive(pid))):
                gone.append(instance_id)
        return gone

    def sweep(self) -> int:
        """Release the open reservations of gone owners (and old unowned ones); fail their
        generations. Returns how many reservations were released."""
        now = utcnow()
        gone = self.gone_owners(now)
        unowned_before = now - timedelta(seconds=self.policy.unowned_after_s)
        released = self._settle_holds_of(gone, unowned_before=unowned_before)
        self._free_keys_of(gone, unowned_before=unowned_before)
        self._forget(gone)
        return released

    def release_mine(self) -> int:
        """At shutdown, after the grace period: what this process still holds is handled as if
        it had crashed, now rather than at the next start. A cut-off request's credits are
        released (its generation failed); a cut-off job goes back to the queue."""
        released = self._settle_holds_of([self.me.id], unowned_before=None)
        self._free_keys_of([self.me.id], unowned_before=None)
        return released

    def _free_keys_of(self, owners: list[str], *, unowned_before: datetime | None) -> int:
        """Free the `in_progress` idempotency keys of gone processes (and of processes no longer
        registered at all); keys written before owners were recorded, once old enough."""
        orphaned: ColumnElement[bool] = or_(
            IdempotencyRecord.owner.in_(owners),
            IdempotencyRecord.owner.not_in(select(Instance.id)),
        )
        if unowned_before is not None:
            orphaned = or_(
                orphaned,
                IdempotencyRecord.owner.is_(None) & (IdempotencyRecord.created_at < unowned_before),
            )
        with self.database.transaction() as session:
            result = session.execute(
                delete(IdempotencyRecord)
                .where(IdempotencyRecord.state == "in_progress", orphaned)
                .execution_options(synchronize_session=False)
            )
            freed = result.rowcount  # type: ignore[attr-defined]
        if freed:
            log.warning("freed %d idempotency key(s) of requests cut off by a crash", freed)
        return int(freed or 0)

    def _settle_holds_of(self, owners: list[str], *, unowned_before: datetime | None) -> int:
        owned: ColumnElement[bool] = Reservation.owner.in_(owners)
        if unowned_before is not None:
            owned = or_(
                owned, (Reservation.owner.is_(None)) & (Reservation.created_at < unowned_before)
            )
        with self.database.read() as session:
            candidates = session.execute(
                select(Reservation.id, Reservation.generation_id, Job.attempts)
                .outerjoin(Generation, Generation.id == Reservation.generation_id)
                .outerjoin(Job, Job.generation_id == Reservation.generation_id)
                .where(
                    Reservation.status == "open",
                    # a queued job's hold is the queue's: it will run and settle later
                    or_(Generation.status.is_(None), Generation.status != "queued"),
                    owned,
                )
            ).all()
        released = 0
        for reservation_id, generation_id, attempts in candidates:
            requeue = attempts is not None and attempts < self.policy.max_attempts
            if generation_id is not None and requeue:
                self._requeue(reservation_id, generation_id)
            else:
                released += self._release(reservation_id, generation_id)
        if released:
            log.warning("released %d credit reservation(s) held by gone processes", released)
        return released

    def _requeue(self, reservation_id: str, generation_id: str) -> None:
        """A job whose process died mid-run goes back to the queue, its credits still held."""
        with self.database.transaction() as session:
            if not self.lifecycle.requeue(session=session, generation_id=generation_id):
                return  # another process got there first
            session.execute(
                update(Job)
                .where(Job.generation_id == generation_id)
                .values(worker_id=None, available_at=utcnow())
            )
        log.warning("re-queued job %s after its process stopped", generation_id)

    def _release(self, reservation_id: str, generation_id: str | None) -> bool:
        """Fail the generation through the lifecycle (released, `finished_at`, the webhook
        `generation.failed`); a hold without a generation that can still move is released
        alone."""
        with self.database.transaction() as session:
            settled = None
            if generation_id is not None:
                settled = self.lifecycle.finish(
                    session=session,
                    generation_id=generation_id,
                    ending=INTERRUPTED,
                    sources=(JobStatus.running, JobStatus.queued),
                    release_reason=RESTART_REASON,
                )
            if settled is not None:
                return True
        try:
            with self.database.transaction() as session:
                ledger.release(
                    session=session, reservation_id=reservation_id, reason=RESTART_REASON
                )
        except ledger.LedgerError:  # another process released it first
            return False
        return True

    def _forget(self, gone: list[str]) -> None:
        """Drop the rows of gone instances that hold nothing any more."""
        if not gone:
            return
        holding = exists().where(Reservation.owner == Instance.id, Reservation.status == "open")
        with self.database.transaction() as session:
            session.execute(
                delete(Instance)
                .where(Instance.id.in_(gone), ~holding)
                .execution_options(synchronize_session=False)
            )
