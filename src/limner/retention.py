"""Erasing generations: on the owner's request and after the operator's retention period.

Erasing removes what the user made and wrote (the image files, the prompt and every other request
parameter, the job, its webhook messages and idempotent replays: a key that made it answers
`409 idempotency_key_erased` from then on, never a new charge) and keeps what the ledger needs:
`ledger_entries` and `reservations` name the generation id and the credits, never the prompt, so
the charge stays auditable after the generation is gone. Only a finished generation can be erased;
a queued or running one must be canceled (or finish) first, so no worker writes into a deleted row.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import (
    Generation,
    GenerationImage,
    IdempotencyRecord,
    Job,
    WebhookAttempt,
    WebhookDelivery,
)
from limner.errors import Conflict, NotFound
from limner.jobs.states import TERMINAL
from limner.storage.base import ImageStore

log = logging.getLogger(__name__)

FINISHED = tuple(sorted(status.value for status in TERMINAL))


class GenerationNotFinished(Conflict):
    default_message = "The generation is still queued or running: cancel it first, then delete it."


@dataclass(frozen=True)
class StoredFile:
    token: str
    media_type: str


def erase_generation(
    *, database: Database, store: ImageStore, account_id: int, generation_id: str
) -> None:
    """Erase one of the account's finished generations. Another key's id is `NotFound`."""
    with database.transaction() as session:
        generation = session.get(Generation, generation_id)
        if generation is None or generation.account_id != account_id:
            raise NotFound(f"No generation {generation_id!r}.")
        if generation.status not in FINISHED:
            raise GenerationNotFinished()
        files = _erase_rows(session, generation)
    _forget_on_disk(database)
    _remove_files(store, files)


def sweep_older_than(
    *, database: Database, store: ImageStore, days: int, now: datetime | None = None
) -> int:
    """Erase every finished generation created more than `days` ago. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    erased = 0
    while True:  # in pages, so one sweep never holds the write lock for long
        with database.transaction() as session:
            batch = session.scalars(
                select(Generation)
                .where(Generation.created_at < cutoff, Generation.status.in_(FINISHED))
                .limit(200)
            ).all()
            files = [file for generation in batch for file in _erase_rows(session, generation)]
        _remove_files(store, files)
        erased += len(batch)
        if len(batch) < 200:
            break
    if erased:
        _forget_on_disk(database)
        log.info("retention: erased %d generation(s) created before %s", erased, cutoff)
    return erased


def _forget_on_disk(database: Database) -> None:
    """The erased rows out of SQLite's write-ahead log too (their pages are zeroed in the
    database by `secure_delete`)."""
    try:
        if not database.checkpoint():
            log.warning("erased rows stay in the write-ahead log until its next checkpoint")
    except Exception:  # the rows are gone from every query; a failed checkpoint is retried later
        log.exception("could not checkpoint the write-ahead log after an erasure")


def _erase_rows(session: Session, generation: Generation) -> list[StoredFile]:
    images = session.scalars(
        select(GenerationImage).where(GenerationImage.generation_id == generation.id)
    ).all()
    files = [StoredFile(image.token, image.media_type) for image in images]
    if generation.image_token and generation.image_media_type:
        files.append(StoredFile(generation.image_token, generation.image_media_type))
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.generation_id == generation.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.generation_id == generation.id))
    session.execute(delete(GenerationImage).where(GenerationImage.generation_id == generation.id))
    # a replayed answer would name the erased generation and its image URLs; the key stays,
    # emptied, so that a retry with it is refused rather than generating and charging again
    session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.account_id == generation.account_id,
            or_(
                IdempotencyRecord.generation_id == generation.id,
                IdempotencyRecord.response_body.contains(generation.id, autoescape=True),
            ),
        )
        .values(state="erased", request_hash="", response_status=None, response_body=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Job).where(Job.generation_id == generation.id))
    session.delete(generation)
    return list({file.token: file for file in files}.values())


def _remove_files(store: ImageStore, files: list[StoredFile]) -> None:
    # after the commit: a crash here leaves files without rows, which the storage sweep removes
    for file in files:
        try:
            store.delete(file.token, file.media_type)
        except Exception:  # the rows are gone; a file left behind is the storage sweep's
            log.exception("could not delete stored image %s…", file.token[:8])


class RetentionSweeper:
    """Runs `sweep_older_than` at start and then every `interval_s` in a daemon thread."""

    def __init__(
        self, *, database: Database, store: ImageStore, days: int, interval_s: float = 3600.0
    ) -> None:
        self.database, self.store, self.days, self.interval_s = database, store, days, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Sweep once now (the server starts with nothing past its retention), then hourly."""
        self._sweep()
        self._thread = threading.Thread(target=self._run, name="limner-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sweep()

    def _sweep(self) -> None:
        try:
            sweep_older_than(database=self.database, store=self.store, days=self.days)
        except Exception:  # a database hiccup must not end the sweeps, nor stop the start
            log.exception("retention sweep failed; trying again later")
