"""The jobs facade the API uses: submit (sync or queued), cancel, list, where a job stands,
and the lifecycle of the queue's workers and the webhook dispatcher."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from limner.clock import utcnow
from limner.config import Settings
from limner.db.engine import Database
from limner.db.paging import newest_first
from limner.db.tables import Generation, IdempotencyRecord, Job
from limner.errors import AlreadyFinished
from limner.generation.accounts import AccountRef
from limner.generation.engine import GenerationService
from limner.generation.lifecycle import Ending
from limner.generation.live import Progress
from limner.generation.plan import Plan
from limner.generation.states import JobStatus
from limner.generation.views import GenerationPublic, QueuePlace, describe
from limner.jobs.queue import JobQueue
from limner.jobs.worker import WorkerPool
from limner.webhooks.dispatcher import WebhookDispatcher
from limner.webhooks.secretbox import SecretBox
from limner.webhooks.ssrf import check_target
from limner.webhooks.store import ensure_secret

#: how long `cancel` waits for a running generation to stop before answering
CANCEL_WAIT_S = 10.0


@dataclass(frozen=True)
class Page:
    items: list[Generation]
    next_cursor: str | None


class JobManager:
    def __init__(
        self,
        *,
        database: Database,
        service: GenerationService,
        queue: JobQueue,
        workers: WorkerPool,
        dispatcher: WebhookDispatcher,
        max_attempts: int,
        allow_private_webhooks: bool,
        settings: Settings,
        secret_box: SecretBox,
    ) -> None:
        #: read per answer (`public_url` is the base of every image URL)
        self.settings = settings
        self.database = database
        self.service = service
        self.queue = queue
        self.workers = workers
        self.dispatcher = dispatcher
        self.max_attempts = max_attempts
        self.allow_private_webhooks = allow_private_webhooks
        self.secret_box = secret_box

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the webhook dispatcher. Crash recovery (re-queueing the jobs of
        gone processes) is `limner.recovery.Recovery`, started before this."""
        with self.database.transaction() as session:  # expired Idempotency-Keys
            session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < utcnow())
            )
        self.workers.start()
        self.dispatcher.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; a running job gets `timeout` seconds to finish (its process's recovery
        re-queues it otherwise)."""
        self.workers.stop(timeout=timeout)
        self.dispatcher.stop()

    # -- submit --------------------------------------------------------------------------------

    def generate(self, account: AccountRef, plan: Plan) -> Generation:
        """The synchronous form: answered when the images are stored."""
        return self.service.generate(account, plan)

    def submit(self, account: AccountRef, plan: Plan) -> Generation:
        """The asynchronous form: planned (moderated, priced), reserved now, queued for a
        worker. The webhook target is checked here, where the queue's settings are."""
        webhook_url = plan.request.webhook_url
        if webhook_url is not None:
            check_target(webhook_url, allow_private=self.allow_private_webhooks)
            with self.database.transaction() as session:
                ensure_secret(session=session, account_id=account.id, box=self.secret_box)
        generation = self.service.submit(account, plan, queued=True)
        self.workers.wake()
        return generation

    # -- reads ---------------------------------------------------------------------------------

    def place(self, generation: Generation) -> QueuePlace | None:
        if generation.status != JobStatus.queued.value:
            return None
        return self.queue.place(generation.id)

    def progress(self, generation_id: str) -> Progress | None:
        return self.service.live.progress(generation_id)

    def describe(self, generation: Generation) -> GenerationPublic:
        """The body every answer about a generation carries (`limner.generation.views`)."""
        with self.database.read() as session:
            return describe(
                session,
                generation,
                self.settings.public_url,
                place=self.place(generation),
                progress=self.progress(generation.id),
            )

    def list(
        self, account: AccountRef, *, status: JobStatus | None, cursor: str | None, limit: int
    ) -> Page:
        """Newest first. `cursor` is the last id of the previous page."""
        query = select(Generation).where(Generation.account_id == account.id)
        if status is not None:
            query = query.where(Generation.status == status.value)
        with self.database.read() as session:
            items, next_cursor = newest_first(
                session, Generation, query, account_id=account.id, cursor=cursor, limit=limit
            )
        return Page(items, next_cursor)

    # -- cancel --------------------------------------------------------------------------------

    def cancel(self, account: AccountRef, generation_id: str) -> Generation:
        """Queued: canceled now, released. Running: asked to stop at its next step (here or, via
        the job's flag, in another process); waits a little for it. Finished: 409."""
        generation = self.service.get_generation(account, generation_id)
        if generation.status == JobStatus.queued.value and self._cancel_queued(generation_id):
            return self.service.get_generation(account, generation_id)
        generation = self.service.get_generation(account, generation_id)
        if generation.status != JobStatus.running.value:
            raise AlreadyFinished(generation_id, generation.status)
        with self.database.transaction() as session:
            session.execute(
                update(Job).where(Job.generation_id == generation_id).values(cancel_requested=True)
            )
        self.service.live.cancel(generation_id)
        deadline = time.monotonic() + CANCEL_WAIT_S
        while time.monotonic() < deadline:
            generation = self.service.get_generation(account, generation_id)
            if generation.status != JobStatus.running.value:
                break
            time.sleep(0.05)
        return generation

    def _cancel_queued(self, generation_id: str) -> bool:
        with self.database.transaction() as session:
            settled = self.service.lifecycle.finish(
                session=session,
                generation_id=generation_id,
                ending=Ending.canceled(),
                sources=(JobStatus.queued,),
            )
        return settled is not None  # None: a worker claimed it meanwhile
