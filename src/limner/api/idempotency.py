"""`Idempotency-Key` on any POST: the first answer is stored and replayed for 24 hours.

The record is inserted *before* the work starts, keyed by (account, key): of two concurrent twins
only one inserts (SQLite serialises the transactions with `BEGIN IMMEDIATE`; on PostgreSQL the
primary key makes the second insert fail, and it then reads the first's record). So a retried or
duplicated request never generates or charges twice.

- same key, same request, finished: the stored status and body, with `Idempotent-Replayed: true`;
- same key, same request, still running: `409 idempotency_key_in_use`;
- same key, another request (method, path or body): `409 idempotency_key_reused`;
- same key after its generation was deleted: `409 idempotency_key_erased`, whatever the
  request (the answer named what was erased; running it again would charge again).

Successes and client errors (400, 402, 403, 404) are stored. Conflicts, rate limits and server
errors (503 included: a failed generation costs nothing, so retrying it is the point) are not;
the key is freed so that a retry runs. A record names the process running its request (`owner`):
if that process dies mid-request, crash recovery (`limner.recovery`) frees the key as a 503
would, since its generation was failed and not charged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from limner.api.context import AppContext
from limner.api.errors import error_body, status_for
from limner.clock import utcnow
from limner.db.tables import IdempotencyRecord
from limner.errors import (
    IdempotencyKeyErased,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    LimnerError,
    ValidationFailed,
)
from limner.generation.accounts import AccountRef

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
#: the OpenAPI form of what `idempotency_key` accepts: printable ASCII, no space at either end
#: (HTTP strips those from a header value)
KEY_PATTERN = "^[!-~]([ -~]*[!-~])?$"
REPLAYED_HEADER = "Idempotent-Replayed"
#: names the generation an answer made (the OpenAI surface sends it; v1 answers carry `id`)
GENERATION_ID_HEADER = "X-Limner-Generation-Id"
#: the record's states: running, answered, and answered about a generation since deleted
IN_PROGRESS, DONE, ERASED = "in_progress", "done", "erased"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]
    generation_id: str | None = None

    def replay(self) -> JSONResponse:
        headers = {REPLAYED_HEADER: "true"}
        if self.generation_id is not None:
            headers[GENERATION_ID_HEADER] = self.generation_id
        return JSONResponse(self.body, status_code=self.status, headers=headers)


def fingerprint(method: str, path: str, body: dict[str, Any] | None) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_CHARS or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            HEADER, f"{HEADER} must be 1 to {MAX_KEY_CHARS} printable ASCII characters"
        )
    return key


def idempotent(
    context: AppContext,
    caller: AccountRef,
    request: Request,
    body: dict[str, Any] | None,
    produce: Callable[[], JSONResponse],
) -> JSONResponse:
    """Run `produce` once per (caller, key); replay its answer for the same request."""
    key = idempotency_key(request)
    if key is None:
        return produce()
    digest = fingerprint(request.method, request.url.path, body)
    stored = _begin(context, caller.id, key, digest, owner=context.recovery.me.id)
    if stored is not None:
        return stored.replay()
    try:
        response = produce()
    except LimnerError as exc:
        status = status_for(exc)
        if status in (409, 429) or status >= 500:
            _abandon(context, caller.id, key)
        else:
            _complete(context, caller.id, key, status, error_body(exc))
        raise
    except BaseException:
        _abandon(context, caller.id, key)
        raise
    answer = json.loads(bytes(response.body))
    _complete(
        context, caller.id, key, response.status_code, answer, _generation_of(response, answer)
    )
    return response


def _generation_of(response: JSONResponse, answer: Any) -> str | None:
    named = response.headers.get(GENERATION_ID_HEADER)
    if named is None and isinstance(answer, dict) and isinstance(answer.get("id"), str):
        named = answer["id"] if answer["id"].startswith("gen_") else None
    return named


def _begin(
    context: AppContext, account_id: int, key: str, digest: str, *, owner: str
) -> StoredResponse | None:
    now = utcnow()
    for _ in range(3):
        try:
            with context.database.transaction() as session:
                record = session.get(IdempotencyRecord, (account_id, key))
                if record is not None and _aware(record.expires_at) <= now:
                    session.delete(record)
                    session.flush()
                    record = None
                if record is None:
                    session.add(
                        IdempotencyRecord(
                            account_id=account_id,
                            key=key,
                            request_hash=digest,
                            state=IN_PROGRESS,
                            created_at=now,
                            expires_at=now + timedelta(seconds=context.settings.idempotency_ttl_s),
                            owner=owner,
                        )
                    )
                    return None
                if record.state == ERASED:
                    raise IdempotencyKeyErased()
                if record.request_hash != digest:
                    raise IdempotencyKeyReused()
                if record.state != DONE or record.response_body is None:
                    raise IdempotencyKeyInUse()
                return StoredResponse(
                    int(record.response_status or 200),
                    json.loads(record.response_body),
                    record.generation_id,
                )
        except IntegrityError:
            continue  # a concurrent twin inserted first: read its record
    raise IdempotencyKeyInUse()


def _complete(
    context: AppContext,
    account_id: int,
    key: str,
    status: int,
    body: dict[str, Any],
    generation_id: str | None = None,
) -> None:
    with context.database.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key)
            .values(
                state=DONE,
                response_status=status,
                response_body=json.dumps(body),
                owner=None,
                generation_id=generation_id,
            )
        )


def _abandon(context: AppContext, account_id: int, key: str) -> None:
    with context.database.transaction() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key
            )
        )


def _aware(moment: Any) -> Any:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
