"""Storage hygiene: remove stored objects no row owns, and uploads past their expiry.

Bytes are always written before the row that owns them (an output before its generation settles,
an upload before its `media_objects` row), so a crash in between leaves a file with no row, never
a row with no file. Such a file is removed once it is older than the grace period, which must be
longer than any generation runs (`LIMNER_STORAGE_SWEEP_GRACE_S`): a running generation's files
have no row yet and are younger than that. The server sweeps every
`LIMNER_STORAGE_SWEEP_INTERVAL_S`; `limner storage sweep` runs one by hand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import select

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Generation, GenerationImage, MediaObject
from limner.storage.base import ImageStore, StoredObjectInfo

log = logging.getLogger(__name__)

#: tokens looked up per query
BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    #: objects no row owned, older than the grace period
    orphans_removed: int
    #: uploads past `expires_at` (row and bytes)
    expired_uploads_removed: int
    #: objects looked at and kept
    kept: int
    #: half-written temporary files (local disk only)
    partial_writes_removed: int = 0


def sweep_storage(
    *, database: Database, store: ImageStore, grace: timedelta, now: datetime | None = None
) -> SweepReport:
    """One pass: expired uploads first (their files then count as orphans of the next pass if a
    crash interrupts), then every stored object older than `grace` that no row names, then
    temporary files of interrupted writes older than `grace`."""
    now = now or utcnow()
    expired = _remove_expired_uploads(database, store, now)
    cutoff = now - grace
    orphans = kept = 0
    old_enough = (info for info in store.list_objects() if _aware(info.modified_at) < cutoff)
    for batch in _batches(old_enough):
        # read owners after listing: a row committed meanwhile is seen, so its file stays
        owned = _owned_tokens(database, [info.token for info in batch])
        for info in batch:
            if info.token in owned:
                kept += 1
                continue
            store.delete(info.token, info.media_type)
            orphans += 1
            log.info("sweep removed %s (%s), which no row owns", info.token, info.media_type)
    # local disk also has temporary files of writes a crash cut short (S3 puts are atomic)
    remove_partials = getattr(store, "remove_partial_writes", None)
    partials = remove_partials(cutoff) if remove_partials is not None else 0
    return SweepReport(
        orphans_removed=orphans,
        expired_uploads_removed=expired,
        kept=kept,
        partial_writes_removed=partials,
    )


def _remove_expired_uploads(database: Database, store: ImageStore, now: datetime) -> int:
    removed = 0
    while True:
        with database.transaction() as session:
            rows = session.scalars(
                select(MediaObject)
                .where(MediaObject.expires_at.is_not(None), MediaObject.expires_at <= now)
                .limit(BATCH)
            ).all()
            doomed = [(row.token, row.media_type) for row in rows]
            for row in rows:
                session.delete(row)
        # the rows are gone before the bytes: a crash here leaves orphans, never dangling rows
        for token, media_type in doomed:
            store.delete(token, media_type)
        removed += len(doomed)
        if len(doomed) < BATCH:
            return removed


def _owned_tokens(database: Database, tokens: list[str]) -> set[str]:
    with database.read() as session:
        owned = set(
            session.scalars(select(GenerationImage.token).where(GenerationImage.token.in_(tokens)))
        )
        owned |= {
            token
            for token in session.scalars(
                select(Generation.image_token).where(Generation.image_token.in_(tokens))
            )
            if token is not None
        }
        owned |= set(
            session.scalars(select(MediaObject.token).where(MediaObject.token.in_(tokens)))
        )
    return owned


def _batches(items: Iterable[StoredObjectInfo]) -> Iterator[list[StoredObjectInfo]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class StorageSweeper:
    """Runs `sweep_storage` every `interval_s` in a daemon thread (not at all when 0)."""

    def __init__(
        self, *, database: Database, store: ImageStore, interval_s: float, grace_s: float
    ) -> None:
        self.database = database
        self.store = store
        self.interval_s = interval_s
        self.grace = timedelta(seconds=grace_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="limner-sweep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def sweep(self) -> SweepReport:
        return sweep_storage(database=self.database, store=self.store, grace=self.grace)

    def _run(self) -> None:
        # the first pass waits one interval: start-up has enough to do, and crash recovery
        # should settle interrupted generations first
        while not self._stop.wait(self.interval_s):
            try:
                report = self.sweep()
            except Exception:  # a storage or database blip must not kill the thread
                log.exception("storage sweep failed")
                continue
            if report.orphans_removed or report.expired_uploads_removed:
                log.info("storage sweep: %s", report)
