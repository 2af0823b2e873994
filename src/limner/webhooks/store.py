"""Webhook rows: each account's secrets (create, rotate, the ones in force) and the outbox of
deliveries (enqueue with a job's final state, resend, the log). Keyword-only, in the caller's
transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from limner.clock import isoformat_z, utcnow
from limner.db.tables import (
    DisabledWebhookEndpoint,
    Generation,
    Job,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSecret,
)
from limner.errors import NotFound
from limner.webhooks.secretbox import SecretBox
from limner.webhooks.signing import new_message_id, new_secret


@dataclass(frozen=True)
class SecretInfo:
    secret: str
    created_at: datetime
    #: the secret it replaced, and until when that one still signs
    previous_expires_at: datetime | None


def secrets_in_force(*, session: Session, account_id: int, box: SecretBox) -> list[str]:
    """The current secret first, then rotated-out ones still in their grace period."""
    now = utcnow()
    rows = session.scalars(
        select(WebhookSecret)
        .where(
            WebhookSecret.account_id == account_id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now),
        )
        .order_by(WebhookSecret.id.desc())
    ).all()
    return [box.open(row.secret) for row in rows]


def current_secret(*, session: Session, account_id: int) -> WebhookSecret | None:
    return session.scalar(
        select(WebhookSecret)
        .where(WebhookSecret.account_id == account_id, WebhookSecret.expires_at.is_(None))
        .order_by(WebhookSecret.id.desc())
        .limit(1)
    )


def ensure_secret(*, session: Session, account_id: int, box: SecretBox) -> SecretInfo:
    """The account's current secret, made (and stored sealed) on first use."""
    row = current_secret(session=session, account_id=account_id)
    if row is None:
        row = WebhookSecret(
            account_id=account_id, secret=box.seal(new_secret()), created_at=utcnow()
        )
        session.add(row)
        session.flush()
    return SecretInfo(box.open(row.secret), row.created_at, None)


def rotate_secret(
    *, session: Session, account_id: int, grace_s: float, box: SecretBox
) -> SecretInfo:
    """A new current secret; the old one keeps signing (beside the new) for `grace_s`."""
    now = utcnow()
    previous = current_secret(session=session, account_id=account_id)
    expires = None
    if previous is not None:
        expires = now + timedelta(seconds=grace_s)
        previous.expires_at = expires
    secret = new_secret()
    row = WebhookSecret(account_id=account_id, secret=box.seal(secret), created_at=now)
    session.add(row)
    session.flush()
    return SecretInfo(secret, row.created_at, expires)


def event_type(status: str) -> str:
    return f"generation.{status}"


def enqueue(
    *, session: Session, generation: Generation, url: str, data: dict[str, Any]
) -> WebhookDelivery:
    """Write the message (body fixed once, so every retry sends the same bytes and id)."""
    now = utcnow()
    kind = event_type(generation.status)
    body = json.dumps(
        {"type": kind, "timestamp": isoformat_z(now), "data": data}, separators=(",", ":")
    )
    disabled = session.scalar(
        select(DisabledWebhookEndpoint.id).where(
            DisabledWebhookEndpoint.account_id == generation.account_id,
            DisabledWebhookEndpoint.url == url,
        )
    )
    delivery = WebhookDelivery(
        message_id=new_message_id(),
        generation_id=generation.id,
        account_id=generation.account_id,
        event_type=kind,
        url=url,
        payload=body,
        status="disabled" if disabled else "pending",
        attempts=0,
        next_attempt_at=None if disabled else now,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def outbox_hook(
    present: Callable[[Session, Generation], dict[str, Any]],
) -> Callable[[Session, Generation], None]:
    """A settle hook: a generation with a webhook gets its message in the same transaction."""

    def hook(session: Session, generation: Generation) -> None:
        url = session.scalar(select(Job.webhook_url).where(Job.generation_id == generation.id))
        if url:
            enqueue(
                session=session, generation=generation, url=url, data=present(session, generation)
            )

    return hook


def deliveries_of(*, session: Session, generation_id: str) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.generation_id == generation_id)
            .order_by(WebhookDelivery.id)
        )
    )


def attempts_of(*, session: Session, delivery_id: int) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
    )


def resend(*, session: Session, generation_id: str) -> WebhookDelivery:
    """Send the generation's message again, with the same `webhook-id`, re-enabling its
    endpoint if a 410 had disabled it."""
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.generation_id == generation_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    )
    if delivery is None:
        raise NotFound(f"Generation {generation_id} has no webhook message (yet).")
    session.execute(
        delete(DisabledWebhookEndpoint).where(
            DisabledWebhookEndpoint.account_id == delivery.account_id,
            DisabledWebhookEndpoint.url == delivery.url,
        )
    )
    now = utcnow()
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.updated_at = now
    return delivery
