"""`create_app(settings)`: build every component from settings and wire the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from limner import __version__
from limner.api.context import AppContext
from limner.api.docs_pages import install_docs
from limner.api.errors import install_error_handlers
from limner.api.metrics import install_observability
from limner.api.playground import install_playground
from limner.api.ratelimit_headers import RateLimitHeadersMiddleware
from limner.api.routes import (
    account,
    events,
    generate,
    generations,
    health,
    images,
    verify,
    webhook_secret,
)
from limner.backends import create_backend
from limner.backends.base import Backend
from limner.config import Settings, WorkerTier
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.errors import ConfigurationError
from limner.jobs.wiring import build_jobs
from limner.moderation import RuleModerator, default_moderator, read_term_file
from limner.provenance import ProvenanceStamper
from limner.ratelimit import RateLimiter
from limner.recovery import Recovery, RecoveryPolicy
from limner.runner import GenerationRunner
from limner.screening import ScreeningGate, build_screener
from limner.service import GenerationService, ProvenanceStamp
from limner.storage.factory import create_image_store

log = logging.getLogger(__name__)

DESCRIPTION = """Limner serves the v1 image-generation contract (`POST /api/v1/generate`) on your
own machines. Authenticate with `Authorization: Bearer <API key>`. Every response carries
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds), and the IETF `RateLimit` and
`RateLimit-Policy` fields. Every error body is `{"error": <code>, "message": ...}`."""


def build_context(settings: Settings, backend: Backend | None = None) -> AppContext:
    database = Database(settings.resolved_database_url())
    upgrade(database)
    backend = backend or _create_backend(settings)
    store = create_image_store(settings)
    stamper = build_stamper(settings)
    recovery = Recovery(
        database,
        RecoveryPolicy(
            heartbeat_s=settings.instance_heartbeat_s,
            stale_after_s=settings.instance_stale_after_s,
            unowned_after_s=settings.generation_timeout_s + settings.instance_stale_after_s,
            max_attempts=settings.job_max_attempts,
        ),
    )
    runner = GenerationRunner(
        backend,
        workers=settings.generation_workers,
        queue_size=settings.generation_queue_size,
        timeout_s=settings.generation_timeout_s,
    )
    service = GenerationService(
        database=database,
        runner=runner,
        store=store,
        moderator=build_moderator(settings),
        stamper=ProvenanceStamp(stamper),
        allowance_for_plan={plan: settings.daily_allowance(plan) for plan in ("free", "pro")},
        owner=recovery.me.id,
        screening=ScreeningGate(
            build_screener(settings), min_apparent_age=settings.screening_min_apparent_age
        ),
    )
    jobs = build_jobs(settings, database, service)
    return AppContext(
        settings=settings,
        database=database,
        backend=backend,
        limiter=RateLimiter(settings),
        store=store,
        service=service,
        trust_anchors_pem=stamper.trust_anchors_pem,
        jobs=jobs,
        recovery=recovery,
    )


def _create_backend(settings: Settings) -> Backend:
    if settings.workers is WorkerTier.ray:
        from limner.serving.backend import RayBackend

        return RayBackend.from_settings(settings)
    return create_backend(settings)


def build_stamper(settings: Settings) -> ProvenanceStamper:
    """Provenance for every output; the C2PA key is made on first start if there is none."""
    return ProvenanceStamper(
        key_dir=settings.resolved_key_dir if settings.provenance_c2pa else None,
        c2pa=settings.provenance_c2pa,
        watermark_key=settings.watermark_key.encode(),
    )


def build_moderator(settings: Settings) -> RuleModerator:
    """The built-in rules plus the operator's additions (a missing file stops the start)."""
    extra_people = settings.moderation_extra_real_people_file
    blocked = settings.moderation_blocked_terms_file
    try:
        return default_moderator(
            extra_real_people=read_term_file(extra_people) if extra_people else (),
            extra_blocked_terms=read_term_file(blocked) if blocked else (),
        )
    except OSError as exc:
        raise ConfigurationError(f"cannot read a moderation term file: {exc}") from exc


def create_app(settings: Settings | None = None, *, backend: Backend | None = None) -> FastAPI:
    """The application. Components are built here, from settings, never at import time."""
    settings = settings or Settings()
    context = build_context(settings, backend)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        context.backend.check_ready()  # refuse to start rather than fail on the first request
        context.service.screening.report_at_start()  # logs loudly; jobs needing it fail closed
        context.recovery.start()  # frees the holds of processes that are gone, re-queues jobs
        context.jobs.start()
        yield
        context.jobs.stop()
        context.recovery.stop()
        context.service.runner.shutdown()
        context.backend.close()
        context.database.dispose()

    app = FastAPI(
        title="Limner",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_docs, not from a CDN
        redoc_url=None,
    )
    app.state.limner = context
    install_error_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    install_observability(app, settings, context.database)
    install_docs(app)
    install_playground(app)
    for module in (generate, account, generations, events, webhook_secret, images, verify, health):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_app_from_env() -> FastAPI:
    """App factory for `uvicorn --factory` and `limner serve --processes N`: settings from env."""
    return create_app(Settings())


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus hand-parsed request bodies, minus its unused 422 responses."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in generate.EXTRA_SCHEMAS:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
