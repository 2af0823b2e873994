"""Sends webhook messages from the outbox and retries them.

One background thread claims due deliveries (`pending` with `next_attempt_at` passed, moved to
`sending` by a conditional UPDATE so two dispatchers never send one attempt), signs each attempt
with the secrets in force at that moment and POSTs it with httpx: no redirects followed, a
timeout, the SSRF guard re-checked. Outcomes:

- 2xx: `succeeded`.
- 410 Gone: `disabled`, and the endpoint is disabled for the account (until a resend).
- anything else (3xx included), a timeout or a refused target: retried after the schedule's next
  delay (Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) plus jitter,
  or after `Retry-After` if the receiver asks for longer; `failed` when the schedule is spent.

Every attempt is logged in `webhook_attempts`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from limner import __version__
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import DisabledWebhookEndpoint, WebhookAttempt, WebhookDelivery
from limner.errors import UnsafeWebhookTarget
from limner.webhooks.secretbox import SecretBox
from limner.webhooks.signing import signature_header
from limner.webhooks.ssrf import check_target, pinned
from limner.webhooks.store import secrets_in_force

log = logging.getLogger(__name__)

BATCH = 10
#: the longest Retry-After honoured (a receiver cannot park a message for days)
MAX_RETRY_AFTER_S = 36_000.0


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    retry_after_s: float | None
    duration_ms: int


class WebhookDispatcher:
    def __init__(
        self,
        database: Database,
        *,
        schedule_s: list[float],
        jitter: float,
        timeout_s: float,
        allow_private: bool,
        secret_box: SecretBox,
        poll_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.database = database
        self.schedule_s = schedule_s or [0.0]
        self.jitter = jitter
        self.allow_private = allow_private
        self.secret_box = secret_box
        self.poll_s = poll_s
        self._http = httpx.Client(
            timeout=timeout_s, follow_redirects=False, transport=transport, trust_env=False
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self.database.transaction() as session:  # attempts cut short by a crash go again
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.status == "sending")
                .values(status="pending", next_attempt_at=utcnow())
            )
        self._thread = threading.Thread(target=self._loop, name="limner-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_due()
            except Exception:
                log.exception("webhook dispatch failed")
                sent = 0
            if not sent:
                self._wake.wait(self.poll_s)
                self._wake.clear()

    # -- work --------------------------------------------------------------------------------

    def run_due(self) -> int:
        """Send every due delivery once; returns how many were attempted."""
        ids = self._claim_due()
        for delivery_id in ids:
            self._attempt(delivery_id)
        return len(ids)

    def _claim_due(self) -> list[int]:
        now = utcnow()
        claimed: list[int] = []
        with self.database.transaction() as session:
            due = session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
            ).all()
            for delivery_id in due:
                moved = session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
                    .values(status="sending", updated_at=now)
                )
                if moved.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(delivery_id)
        return claimed

    def _attempt(self, delivery_id: int) -> None:
        with self.database.read() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            signing = secrets_in_force(
                session=session, account_id=delivery.account_id, box=self.secret_box
            )
        result = self._post(delivery, signing)
        self._record(delivery, result)

    def _post(self, delivery: WebhookDelivery, signing: list[str]) -> AttemptResult:
        started = time.monotonic()
        body = delivery.payload.encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": f"Limner-Webhooks/{__version__}",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(signing, delivery.message_id, timestamp, body),
        }
        try:
            # connect to the address just checked: resolving again could give another one
            target = pinned(
                delivery.url, check_target(delivery.url, allow_private=self.allow_private)
            )
            response = self._http.post(
                target.url,
                content=body,
                headers={**headers, "host": target.host_header},
                extensions=target.extensions,
            )
        except UnsafeWebhookTarget as exc:
            return AttemptResult(None, exc.message[:300], None, _ms(started))
        except httpx.HTTPError as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:300], None, _ms(started))
        return AttemptResult(
            response.status_code,
            None,
            retry_after(response.headers.get("retry-after")),
            _ms(started),
        )

    def _record(self, delivery: WebhookDelivery, result: AttemptResult) -> None:
        now = utcnow()
        attempt = delivery.attempts + 1
        code = result.status_code
        values: dict[str, object] = {
            "attempts": attempt,
            "last_status_code": code,
            "last_error": result.error,
            "updated_at": now,
        }
        if code is not None and 200 <= code < 300:
            values.update(status="succeeded", next_attempt_at=None)
        elif code == 410:
            values.update(status="disabled", next_attempt_at=None)
        elif attempt >= len(self.schedule_s):
            values.update(status="failed", next_attempt_at=None)
        else:
            delay = self.schedule_s[attempt] * (1 + self._random.uniform(0, self.jitter))
            if result.retry_after_s is not None:
                delay = max(delay, min(result.retry_after_s, MAX_RETRY_AFTER_S))
            values.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
        with self.database.transaction() as session:
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempt=attempt,
                    at=now,
                    status_code=code,
                    error=result.error,
                    duration_ms=result.duration_ms,
                )
            )
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == "sending")
                .values(**values)
            )
        if code == 410:
            self._disable(delivery)
        if values["status"] == "pending":
            self._wake.set()

    def _disable(self, delivery: WebhookDelivery) -> None:
        log.warning("webhook endpoint answered 410 Gone; disabled: %s", delivery.url)
        try:
            with self.database.transaction() as session:
                session.add(
                    DisabledWebhookEndpoint(
                        account_id=delivery.account_id, url=delivery.url, disabled_at=utcnow()
                    )
                )
                session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.account_id == delivery.account_id,
                        WebhookDelivery.url == delivery.url,
                        WebhookDelivery.status == "pending",
                    )
                    .values(status="disabled", next_attempt_at=None)
                )
        except IntegrityError:
            pass  # already disabled


def retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit, not to float
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - utcnow()).total_seconds())


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
