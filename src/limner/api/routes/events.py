"""`GET /api/v1/generations/{id}/events`: a generation's progress as Server-Sent Events.

Events (each `data` is JSON with the generation `id`): `queued` (when the position changes:
`queue_position`, `estimated_wait_s`), `running`, `progress` (`image` of `images`, `step` of
`total`, and `preview`, a small JPEG data URL, where the model has a tiny decoder), then one of
`completed` (the generation body, with `image_url` and `images`), `failed` (`error`, `message`)
or `canceled`, after which the stream ends. A comment line is sent every 15 s so proxies keep the
connection open.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from limner.api.context import AppContext
from limner.api.deps import ContextDep, ReadingCaller
from limner.api.errors import error_responses
from limner.api.routes.generations import present
from limner.generation.accounts import AccountRef
from limner.jobs.states import JobStatus

router = APIRouter(prefix="/api/v1", tags=["generations"])

POLL_S = 0.2
KEEPALIVE_S = 15.0


@dataclass(frozen=True)
class Snapshot:
    status: str
    body: dict[str, Any]


def snapshot(context: AppContext, caller: AccountRef, generation_id: str) -> Snapshot:
    generation = context.service.get_generation(caller, generation_id)
    return Snapshot(generation.status, present(context, generation).model_dump(exclude_none=True))


def changes(previous: Snapshot | None, current: Snapshot) -> list[tuple[str, dict[str, Any]]]:
    """The events that take a client from `previous` to `current`."""
    body = current.body
    events: list[tuple[str, dict[str, Any]]] = []
    ident = {"id": body["id"], "status": current.status}
    if current.status == JobStatus.queued.value:
        place: dict[str, Any] = {
            k: body[k] for k in ("queue_position", "estimated_wait_s") if k in body
        }
        if previous is None or previous.body.get("queue_position") != body.get("queue_position"):
            events.append(("queued", {**ident, **place}))
    elif current.status == JobStatus.running.value:
        if previous is None or previous.status != current.status:
            events.append(("running", ident))
        progress = body.get("progress")
        if progress and (previous is None or previous.body.get("progress") != progress):
            events.append(("progress", {"id": body["id"], **progress}))
    elif current.status == JobStatus.completed.value:
        events.append(("completed", body))
    else:
        events.append(
            (current.status, {**ident, "error": body.get("error"), "message": body.get("message")})
        )
    return events


def frame(sequence: int, event: str, data: dict[str, Any]) -> str:
    return f"id: {sequence}\nevent: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get(
    "/generations/{generation_id}/events",
    summary="Stream a generation's progress (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream."},
        **error_responses(401, 404, 429),
    },
)
async def generation_events(
    generation_id: Annotated[str, Path(description="A generation id, gen_...")],
    caller: ReadingCaller,
    context: ContextDep,
) -> StreamingResponse:
    first = await anyio.to_thread.run_sync(snapshot, context, caller, generation_id)

    async def stream() -> AsyncIterator[str]:
        previous: Snapshot | None = None
        current, sequence, last_sent = first, 0, time.monotonic()
        while True:
            for event, data in changes(previous, current):
                sequence += 1
                last_sent = time.monotonic()
                yield frame(sequence, event, data)
            if JobStatus(current.status).terminal:
                return
            if time.monotonic() - last_sent >= KEEPALIVE_S:
                last_sent = time.monotonic()
                yield ": keep-alive\n\n"
            await anyio.sleep(POLL_S)
            previous = current
            current = await anyio.to_thread.run_sync(snapshot, context, caller, generation_id)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
