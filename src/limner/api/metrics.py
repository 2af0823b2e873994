"""`GET /metrics`: Prometheus exposition of `limner.metrics`, and the JSON-log switch at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from limner.api.middleware import install_middleware
from limner.config import Settings
from limner.db.engine import Database
from limner.logs import configure_logging
from limner.metrics import Metrics


def install_observability(app: FastAPI, settings: Settings, database: Database) -> Metrics:
    """Metrics, request ids, access logs, CORS and the log format, in one registration."""
    metrics = Metrics(database)
    app.state.metrics = metrics
    app.state.limner.service.stage_observers.append(metrics.observe_stage)
    for runner in app.state.limner.service.backends.all():
        if runner.batches is not None:
            name = runner.backend.name
            runner.batches.observers.append(
                lambda record, name=name: metrics.observe_batch(name, record.size)
            )
    install_middleware(app, settings, metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        body, content_type = await run_in_threadpool(metrics.render)  # it reads the database
        return Response(body, media_type=content_type)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        # here, not in create_app: uvicorn sets up its loggers after the app is built
        configure_logging(settings.log_format)
        async with inner(application) as state:
            yield state

    app.router.lifespan_context = lifespan
    return metrics
