"""`/healthz` (the process answers) and `/readyz` (it can serve: database, storage, backend,
image screening)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from limner.api.deps import ContextDep
from limner.api.schemas import HealthPublic, PresetRuntimePublic

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=HealthPublic, response_model_exclude_none=True)
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "Not ready; see checks."}},
)
def readyz(context: ContextDep) -> JSONResponse:
    checks = {
        "database": _check(lambda: _database_ok(context)),
        "storage": _check(context.store.check),
        "backend": _check(lambda: _backend_ok(context)),
        "rate_limits": _check(context.limiter.check_storage),
        "screening": _check(context.service.screening.check_ready),
    }
    ready = all(value == "ok" for value in checks.values())
    body = HealthPublic(
        status="ok" if ready else "unavailable",
        checks=checks,
        backend=context.backend.name,
        notice=context.backend_notice,
        runtime=_runtime(context),
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if ready else 503)


def _runtime(context: ContextDep) -> list[PresetRuntimePublic] | None:
    describe = getattr(context.backend, "describe", None)
    if describe is None:
        return None
    return [PresetRuntimePublic.model_validate(row) for row in describe()]


def _backend_ok(context: ContextDep) -> bool:
    context.backend.check_ready()
    return True


def _database_ok(context: ContextDep) -> bool:
    with context.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def _check(probe: object) -> str:
    try:
        ok = probe()  # type: ignore[operator]
    except Exception as exc:  # a readiness probe reports, it does not crash
        log.warning("readiness check failed: %s", exc)
        return "failed"
    return "ok" if ok is not False else "failed"
