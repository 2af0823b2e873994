"""`/api/v1/webhook-secret`: the account's webhook signing secret (Standard Webhooks `whsec_`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from limner.api.deps import ContextDep, ReadingCaller
from limner.api.errors import error_responses
from limner.api.idempotency import idempotent
from limner.api.schemas import WebhookSecretPublic
from limner.clock import isoformat_z
from limner.webhooks import store

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


@router.get(
    "/webhook-secret",
    response_model=WebhookSecretPublic,
    response_model_exclude_none=True,
    summary="The current webhook signing secret (created on first use)",
    responses=error_responses(401, 429),
)
def get_webhook_secret(caller: ReadingCaller, context: ContextDep) -> WebhookSecretPublic:
    with context.database.transaction() as session:
        info = store.ensure_secret(session=session, account_id=caller.id, box=context.secret_box)
        return WebhookSecretPublic(secret=info.secret, created_at=isoformat_z(info.created_at))


@router.post(
    "/webhook-secret",
    response_model=WebhookSecretPublic,
    response_model_exclude_none=True,
    summary="Rotate the webhook signing secret",
    description="Makes a new secret. The previous one keeps signing for the grace period "
    "(`LIMNER_WEBHOOK_SECRET_GRACE_S`, default 24 h): messages carry one signature per secret "
    "in force, space-separated, so receivers can switch without losing a message.",
    responses=error_responses(401, 429),
)
def rotate_webhook_secret(
    caller: ReadingCaller, context: ContextDep, request: Request
) -> JSONResponse:
    def produce() -> JSONResponse:
        with context.database.transaction() as session:
            info = store.rotate_secret(
                session=session,
                account_id=caller.id,
                grace_s=context.settings.webhook_secret_grace_s,
                box=context.secret_box,
            )
        body = WebhookSecretPublic(
            secret=info.secret,
            created_at=isoformat_z(info.created_at),
            previous_secret_expires_at=isoformat_z(info.previous_expires_at)
            if info.previous_expires_at
            else None,
        )
        return JSONResponse(body.model_dump(exclude_none=True))

    return idempotent(context, caller, request, None, produce)
