"""The caller's generations: read one, list, cancel, the webhook log and resend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from limner.api.context import AppContext
from limner.api.deps import ContextDep, ReadingCaller
from limner.api.errors import error_responses
from limner.api.idempotency import idempotent
from limner.api.schemas import (
    GenerationPage,
    GenerationPublic,
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookLogPublic,
)
from limner.clock import isoformat_z
from limner.db.tables import Generation
from limner.jobs.states import JobStatus
from limner.retention import erase_generation
from limner.webhooks import store

router = APIRouter(prefix="/api/v1", tags=["generations"])

# any string: an id that is not the caller's answers 404, whatever its shape
GenerationId = Annotated[str, Path(description="A generation id, gen_...")]


def present(context: AppContext, generation: Generation) -> GenerationPublic:
    """A generation with what is known about it now: images, queue place, progress."""
    return context.jobs.describe(generation)


@router.get(
    "/generations",
    response_model=GenerationPage,
    response_model_exclude_none=True,
    summary="List the caller's generations, newest first",
    responses=error_responses(400, 401, 404, 429),
)
def list_generations(
    caller: ReadingCaller,
    context: ContextDep,
    status: Annotated[JobStatus | None, Query(description="Only this status.")] = None,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^gen_[a-z2-7]{16}$",
            description="`next_cursor` of the previous page; one that names none of your "
            "rows (deleted since, say) is a 404.",
        ),
    ] = None,
    limit: Annotated[int, Query(description="Page size, 1 to 100.")] = 20,
) -> GenerationPage:
    page = context.jobs.list(caller, status=status, cursor=cursor, limit=limit)
    return GenerationPage(
        data=[present(context, generation) for generation in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.get(
    "/generations/{generation_id}",
    response_model=GenerationPublic,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 429),
)
def get_generation(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep
) -> GenerationPublic:
    return present(context, context.service.get_generation(caller, generation_id))


@router.post(
    "/generations/{generation_id}/cancel",
    response_model=GenerationPublic,
    response_model_exclude_none=True,
    summary="Cancel a generation",
    description="Queued: canceled at once, nothing charged. Running: stopped at its next step, "
    "nothing charged (the answer waits up to 10 s for it to stop). Finished: 409 "
    "`already_finished`.",
    responses=error_responses(401, 404, 409, 429),
)
def cancel_generation(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep, request: Request
) -> JSONResponse:
    def produce() -> JSONResponse:
        generation = context.jobs.cancel(caller, generation_id)
        return JSONResponse(present(context, generation).model_dump(exclude_none=True))

    return idempotent(context, caller, request, None, produce)


@router.delete(
    "/generations/{generation_id}",
    status_code=204,
    summary="Delete a generation: its images and prompt",
    description="Erases a finished generation: its image URLs stop working and its prompt and "
    "parameters are gone. The ledger keeps the charge (id and credits, never the prompt). A "
    "queued or running generation answers 409 `conflict`: cancel it first.",
    responses=error_responses(401, 404, 409, 429),
)
def delete_generation(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep
) -> Response:
    erase_generation(
        database=context.database,
        store=context.store,
        account_id=caller.id,
        generation_id=generation_id,
    )
    return Response(status_code=204)


def _log(context: AppContext, generation_id: str) -> WebhookLogPublic:
    with context.database.read() as session:
        deliveries = store.deliveries_of(session=session, generation_id=generation_id)
        return WebhookLogPublic(
            deliveries=[
                WebhookDeliveryPublic(
                    webhook_id=delivery.message_id,
                    event_type=delivery.event_type,
                    url=delivery.url,
                    status=delivery.status,
                    next_attempt_at=isoformat_z(delivery.next_attempt_at)
                    if delivery.next_attempt_at
                    else None,
                    attempts=[
                        WebhookAttemptPublic(
                            attempt=attempt.attempt,
                            at=isoformat_z(attempt.at),
                            status_code=attempt.status_code,
                            error=attempt.error,
                            duration_ms=attempt.duration_ms,
                        )
                        for attempt in store.attempts_of(session=session, delivery_id=delivery.id)
                    ],
                )
                for delivery in deliveries
            ]
        )


@router.get(
    "/generations/{generation_id}/webhook",
    response_model=WebhookLogPublic,
    response_model_exclude_none=True,
    summary="The webhook delivery log of a generation",
    responses=error_responses(401, 404, 429),
)
def webhook_log(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep
) -> WebhookLogPublic:
    context.service.get_generation(caller, generation_id)
    return _log(context, generation_id)


@router.post(
    "/generations/{generation_id}/webhook/resend",
    response_model=WebhookLogPublic,
    response_model_exclude_none=True,
    summary="Send a generation's webhook again",
    description="Queues the message again with the same `webhook-id` (receivers deduplicate on "
    "it) and re-enables an endpoint that a 410 had disabled.",
    responses=error_responses(401, 404, 429),
)
def webhook_resend(
    generation_id: GenerationId, caller: ReadingCaller, context: ContextDep, request: Request
) -> JSONResponse:
    def produce() -> JSONResponse:
        context.service.get_generation(caller, generation_id)
        with context.database.transaction() as session:
            store.resend(session=session, generation_id=generation_id)
        context.jobs.dispatcher.wake()
        return JSONResponse(_log(context, generation_id).model_dump(exclude_none=True))

    return idempotent(context, caller, request, None, produce)
