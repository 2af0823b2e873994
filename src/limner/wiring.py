"""The application's parts, built once from settings, for `create_app()` and the CLI alike.

Nothing here is HTTP: the API wraps a `Context` in an app, `limner worker` runs its queue
without one. Every component is built here, never at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from limner.backends import create_backend
from limner.backends.auto import BackendChoice, choose_backend
from limner.backends.base import Backend
from limner.characters import CharacterStore
from limner.config import BackendName, Settings, WorkerTier
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Generation
from limner.devices import DeviceTurns
from limner.domain.styles import Quality
from limner.errors import ConfigurationError
from limner.generation.admission import InputAdmission, ProvenanceKeys
from limner.generation.backends import BackendSet
from limner.generation.engine import GenerationService, ProvenanceStamp
from limner.generation.kinds import KINDS, VideoTerms, build_kinds
from limner.generation.lifecycle import Lifecycle
from limner.generation.plan import Planner
from limner.generation.refusals import RefusalLog
from limner.generation.views import describe
from limner.jobs.manager import JobManager
from limner.jobs.queue import JobQueue
from limner.jobs.worker import WorkerPool
from limner.media import MediaLimits, MediaResolver, MediaSources
from limner.moderation import RuleModerator, default_moderator, read_term_file
from limner.provenance import (
    ProvenanceStamper,
    StamperConfig,
    StampingPool,
    default_generator,
)
from limner.ratelimit import RateLimiter
from limner.recovery import Recovery, RecoveryPolicy
from limner.runner import GenerationRunner
from limner.screening import ImageScreener, ScreeningGate, ScreeningPool, build_screener
from limner.storage.base import ImageStore
from limner.storage.factory import create_image_store
from limner.webhooks.dispatcher import WebhookDispatcher
from limner.webhooks.secretbox import SecretBox, seal_plaintext_rows
from limner.webhooks.store import outbox_hook

__all__ = ["Context", "build_context", "build_moderator", "build_stamper", "open_secret_box"]

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What a server or worker process holds for its lifetime."""

    settings: Settings
    database: Database
    #: the configured backend (`LIMNER_BACKEND`); `service.backends` has it and the extra ones
    backend: Backend
    limiter: RateLimiter
    store: ImageStore
    service: GenerationService
    jobs: JobManager
    recovery: Recovery
    #: seals and opens the webhook signing secrets stored in the database
    secret_box: SecretBox
    #: the shape limits and the decode gate every input or verified picture passes (one per
    #: process, so the gate bounds all decodes together)
    media_limits: MediaLimits
    #: the C2PA certificate authority of this server, to mark its own manifests trusted
    trust_anchors_pem: bytes | None = None
    #: the key's characters (`character_id` on generate looks them up through the planner)
    characters: CharacterStore | None = None
    #: the one-line banner of a server `auto` left on the placeholder (why, and that its images
    #: are not a model's): start-up, `/readyz` and the playground show it
    backend_notice: str | None = None


def build_context(
    settings: Settings, backend: Backend | None = None, *, choice: BackendChoice | None = None
) -> Context:
    """`choice`: what `LIMNER_BACKEND=auto` picked, when the caller (`limner serve`) has decided
    it already; otherwise `auto` is decided here on the local cache alone."""
    database = Database(settings.resolved_database_url())
    upgrade(database)
    notice: str | None = None
    if backend is None:
        backend, notice = create_configured_backend(settings, choice)
    extra = [create_backend(settings, name) for name in settings.extra_backends]
    store = create_image_store(settings)
    stamper = build_stamper(settings)
    lifecycle = Lifecycle()
    recovery = Recovery(
        database,
        RecoveryPolicy(
            heartbeat_s=settings.instance_heartbeat_s,
            stale_after_s=settings.instance_stale_after_s,
            unowned_after_s=settings.generation_timeout_s + settings.instance_stale_after_s,
            max_attempts=settings.job_max_attempts,
        ),
        lifecycle=lifecycle,
    )
    devices = DeviceTurns()  # one heavy job per device, whichever backend runs it

    def runner_for(each: Backend) -> GenerationRunner:
        return GenerationRunner(
            each,
            workers=settings.generation_workers,
            queue_size=settings.generation_queue_size,
            timeout_s=settings.generation_timeout_s,
            per_key_limit=settings.generation_per_key_limit,
            devices=devices,
            batch_window_s=settings.generation_batch_window_ms / 1000,
            max_batch=settings.generation_max_batch,
        )

    runners = [runner_for(each) for each in (backend, *extra)]
    # test keys always have the placeholder: the operator's own when listed, else one of theirs
    test = next((r for r in runners if r.backend.name == BackendName.placeholder.value), None)
    backends = BackendSet(
        runners, test=test or runner_for(create_backend(settings, BackendName.placeholder))
    )
    screening = ScreeningGate(
        build_screening(settings), min_apparent_age=settings.screening_min_apparent_age
    )
    refusals = RefusalLog(database)
    moderator = build_moderator(settings)
    media_limits = MediaLimits.from_settings(settings)
    resolver = MediaResolver(
        MediaSources.from_settings(settings, database=database, store=store, limits=media_limits)
    )
    # one gate for every input picture: a request's and a character's references alike
    admission = InputAdmission(
        screening=screening,
        record_refusal=refusals.record,
        provenance=ProvenanceKeys(
            watermark_key=settings.watermark_key.encode(),
            trust_anchors_pem=stamper.trust_anchors_pem,
        ),
    )
    characters = CharacterStore(
        database=database,
        store=store,
        resolver=resolver,
        moderator=moderator,
        admission=admission,
        refusals=refusals,
    )
    planner = Planner(
        backends=backends,
        moderator=moderator,
        screening=screening,
        resolve_image=resolver,
        admission=admission,
        record_refusal=refusals.record,
        max_batch=settings.max_batch,
        characters=characters.use,
        kinds=build_kinds(video_terms(settings)),
    )
    service = GenerationService(
        database=database,
        backends=backends,
        planner=planner,
        store=store,
        stamper=ProvenanceStamp(build_stamping(settings, stamper)),
        allowance_for_plan={plan: settings.daily_allowance(plan) for plan in ("free", "pro")},
        owner=recovery.me.id,
        screening=screening,
        lifecycle=lifecycle,
        refusals=refusals,
    )
    secret_box = open_secret_box(settings, database)
    jobs = build_jobs(settings, database, service, secret_box)
    return Context(
        settings=settings,
        database=database,
        backend=backend,
        limiter=RateLimiter(settings),
        store=store,
        service=service,
        trust_anchors_pem=stamper.trust_anchors_pem,
        jobs=jobs,
        recovery=recovery,
        secret_box=secret_box,
        characters=characters,
        backend_notice=notice,
        media_limits=media_limits,
    )


def build_jobs(
    settings: Settings, database: Database, service: GenerationService, secret_box: SecretBox
) -> JobManager:
    """The queue, its workers, the webhook dispatcher, and the lifecycle's terminal hooks."""
    lifecycle = service.lifecycle

    def webhook_body(session: Session, generation: Generation) -> dict[str, object]:
        return describe(session, generation, settings.public_url).model_dump(exclude_none=True)

    queue = JobQueue(
        database,
        lifecycle=lifecycle,
        workers=settings.queue_workers,
        owner=service.owner,
        kinds=service.backends.kinds(KINDS),
        test_kinds=service.backends.test_kinds(KINDS),
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
        secret_box=secret_box,
        poll_s=settings.queue_poll_s,
    )
    # every terminal move, whatever caused it: the webhook message in the same transaction,
    # live progress forgotten, and the dispatcher told at once
    lifecycle.terminal_hooks.append(outbox_hook(webhook_body))
    lifecycle.terminal_hooks.append(lambda _session, generation: service.live.finish(generation.id))
    lifecycle.terminal_hooks.append(lambda _session, _generation: dispatcher.wake())
    return JobManager(
        database=database,
        service=service,
        queue=queue,
        workers=workers,
        dispatcher=dispatcher,
        max_attempts=settings.job_max_attempts,
        allow_private_webhooks=settings.webhook_allow_private,
        settings=settings,
        secret_box=secret_box,
    )


def create_configured_backend(
    settings: Settings, choice: BackendChoice | None = None
) -> tuple[Backend, str | None]:
    """The main backend and, where `auto` fell back to the placeholder, its banner line. (An
    operator who names the placeholder knows; its answers say `"backend": "placeholder"`.)"""
    if settings.workers is WorkerTier.ray:
        from limner.serving.backend import RayBackend

        return RayBackend.from_settings(settings), None
    name = settings.backend
    if name is BackendName.auto:
        choice = choice or choose_backend(settings, fetch=False)
        log.info("LIMNER_BACKEND=auto: %s (%s)", choice.name.value, choice.reason)
        return create_backend(settings, choice.name), choice.notice
    return create_backend(settings, name), None


def open_secret_box(settings: Settings, database: Database) -> SecretBox:
    """The webhook secrets' key (made on first start); rows from before sealing are sealed."""
    box = SecretBox.load_or_create(settings.resolved_key_dir)
    with database.transaction() as session:
        sealed = seal_plaintext_rows(session=session, box=box)
    if sealed:
        log.info("sealed %d webhook secrets stored in plain text", sealed)
    return box


def video_terms(settings: Settings) -> VideoTerms:
    """The operator's video prices and caps."""
    return VideoTerms(
        credits_per_second={
            Quality.fast: settings.video_credits_per_second_fast,
            Quality.hires: settings.video_credits_per_second_hires,
        },
        max_fps=settings.video_max_fps,
        max_frames=settings.video_max_frames,
        max_pixels=settings.video_max_pixels,
        timeout_s=settings.video_timeout_s,
    )


def build_stamper(settings: Settings) -> ProvenanceStamper:
    """Provenance for every output; the C2PA key is made on first start if there is none."""
    return _stamper_config(settings).build()


def build_stamping(
    settings: Settings, stamper: ProvenanceStamper
) -> ProvenanceStamper | StampingPool:
    """Where outputs are stamped: worker processes (`LIMNER_PROVENANCE_WORKERS`), or `stamper`
    in the request's thread when that is 0."""
    workers = settings.resolved_provenance_workers
    if workers == 0:
        return stamper
    return StampingPool(_stamper_config(settings), workers=workers)


def build_screening(settings: Settings) -> ImageScreener:
    """The screener: in worker processes (`LIMNER_SCREENING_WORKERS`), or in the request's
    thread when that is 0 (the default)."""
    if settings.screening_workers == 0:
        return build_screener(settings)
    return ScreeningPool(settings, workers=settings.screening_workers)


def _stamper_config(settings: Settings) -> StamperConfig:
    return StamperConfig(
        generator=default_generator(),
        key_dir=settings.resolved_key_dir if settings.provenance_c2pa else None,
        c2pa=settings.provenance_c2pa,
        watermark_key=settings.watermark_key.encode(),
        png_compress_level=settings.provenance_png_level,
    )


def build_moderator(settings: Settings) -> RuleModerator:
    """The built-in rules plus the operator's additions (a missing file stops the start)."""
    extra_people = settings.moderation_extra_real_people_file
    blocked = settings.moderation_blocked_terms_file
    try:
        return default_moderator(
            extra_real_people=read_term_file(extra_people) if extra_people else (),
            extra_blocked_terms=read_term_file(blocked) if blocked else (),
            extra_dir=settings.data_dir / "moderation",
        )
    except OSError as exc:
        raise ConfigurationError(f"cannot read a moderation term file: {exc}") from exc
