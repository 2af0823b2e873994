"""`create_app(settings)`: build every component from settings and wire the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from limner import __version__
from limner.api.context import AppContext
from limner.api.docs_pages import install_docs
from limner.api.errors import install_error_handlers
from limner.api.metrics import install_observability
from limner.api.playground import install_playground
from limner.api.ratelimit_headers import RateLimitHeadersMiddleware
from limner.api.routes import (
    account,
    characters,
    events,
    generate,
    generations,
    health,
    images,
    openai,
    uploads,
    verify,
    webhook_secret,
)
from limner.api.shutdown import ShutdownClock
from limner.backends.auto import BackendChoice
from limner.backends.base import Backend
from limner.config import Settings
from limner.domain.requests import GenerateRequest
from limner.media.sweep import StorageSweeper
from limner.retention import RetentionSweeper
from limner.wiring import build_context

log = logging.getLogger(__name__)

DESCRIPTION = """Limner serves the v1 image-generation contract (`POST /api/v1/generate`) on your
own machines. Authenticate with `Authorization: Bearer <API key>`. Every response carries
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds), and the IETF `RateLimit` and
`RateLimit-Policy` fields. Every error body is `{"error": <code>, "message": ...}`."""


def create_app(
    settings: Settings | None = None,
    *,
    backend: Backend | None = None,
    choice: BackendChoice | None = None,
) -> FastAPI:
    """The application. Components are built here, from settings, never at import time.
    `choice`: what `LIMNER_BACKEND=auto` picked, when `limner serve` decided it (fetching)."""
    settings = settings or Settings()
    context = build_context(settings, backend, choice=choice)
    storage_sweeper = StorageSweeper(
        database=context.database,
        store=context.store,
        interval_s=settings.storage_sweep_interval_s,
        grace_s=settings.resolved_sweep_grace_s,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        context.service.backends.check_ready()  # refuse to start rather than fail later
        context.service.screening.report_at_start()  # logs loudly; jobs needing it fail closed
        context.service.stamper.warm_up()  # the stamping processes, before the first request
        context.recovery.start()  # frees the holds of processes that are gone, re-queues jobs
        context.jobs.start()
        retention = _retention_sweeper(context)
        storage_sweeper.start()  # files a crash left without rows, and expired uploads
        clock = ShutdownClock(settings.shutdown_grace_s)
        clock.watch_signals()
        yield
        storage_sweeper.stop()
        if retention is not None:
            retention.stop()
        # uvicorn has stopped accepting and given running requests the grace period
        clock.begin()
        context.jobs.stop(timeout=clock.remaining())  # a running job gets what is left of it
        if context.recovery.release_mine():  # cut off: requests released, jobs re-queued
            log.warning("shutdown cut off running generations; their credits are not charged")
        context.service.backends.cancel_all()  # and they stop at their next step
        context.recovery.stop()
        context.service.backends.shutdown()
        context.service.backends.close()
        context.service.stamper.close()
        context.service.screening.close()
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
    install_playground(app, notice=context.backend_notice)
    for module in (
        generate,
        account,
        generations,
        events,
        webhook_secret,
        uploads,
        characters,
        images,
        verify,
        health,
        openai,
    ):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _retention_sweeper(context: AppContext) -> RetentionSweeper | None:
    days = context.settings.retention_days
    if days is None:
        return None
    sweeper = RetentionSweeper(database=context.database, store=context.store, days=days)
    sweeper.start()
    return sweeper


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
    extra: list[type[BaseModel]] = [
        *generate.EXTRA_SCHEMAS,
        *characters.EXTRA_SCHEMAS,
        *openai.EXTRA_SCHEMAS,
    ]
    for model in extra:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        if issubclass(model, GenerateRequest):  # the v1 request bodies name their `type`
            prop, required = generate.type_property(model)
            model_schema.setdefault("properties", {})["type"] = prop
            if required:
                model_schema["required"] = ["type", *model_schema.get("required", [])]
        components[model_schema.get("title", model.__name__)] = model_schema
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
