"""Builds the queue, its workers, the webhook dispatcher and the outbox hook from settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.config import Settings
from limner.db.engine import Database
from limner.db.tables import Generation, GenerationImage
from limner.jobs.manager import JobManager
from limner.jobs.queue import JobQueue
from limner.jobs.worker import WorkerPool
from limner.service import GenerationService
from limner.webhooks.dispatcher import WebhookDispatcher
from limner.webhooks.store import outbox_hook


def build_jobs(settings: Settings, database: Database, service: GenerationService) -> JobManager:
    from limner.api.routes.presenters import generation_public

    def present(session: Session, generation: Generation) -> dict[str, Any]:
        images = session.scalars(
            select(GenerationImage)
            .where(GenerationImage.generation_id == generation.id)
            .order_by(GenerationImage.position)
        ).all()
        public = generation_public(generation, settings.public_url, images=images)
        return public.model_dump(exclude_none=True)

    lifecycle = service.lifecycle
    lifecycle.terminal_hooks.append(outbox_hook(present))
    queue = JobQueue(
        database, lifecycle=lifecycle, workers=settings.queue_workers, owner=service.owner
    )
    workers = WorkerPool(
        service=service,
        queue=queue,
        workers=settings.queue_workers,
        poll_s=settings.queue_poll_s,
    )
    dispatcher = WebhookDispatcher(
        database,
        schedule_s=settings.webhook_retry_schedule_s,
        jitter=settings.webhook_jitter,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
        poll_s=settings.queue_poll_s,
    )
    # a settled generation may have a webhook to send: tell the dispatcher at once
    lifecycle.terminal_hooks.append(lambda _session, _generation: dispatcher.wake())
    return JobManager(
        database=database,
        service=service,
        queue=queue,
        workers=workers,
        dispatcher=dispatcher,
        max_batch=settings.max_batch,
        max_attempts=settings.job_max_attempts,
        allow_private_webhooks=settings.webhook_allow_private,
    )
