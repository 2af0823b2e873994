"""The refusal log: who was refused, when, on which field and by which rule (never the text).

Written by the engine when moderation or screening refuses a request; moderation itself only
returns verdicts and touches no database.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import ModerationEvent
from limner.generation.accounts import AccountRef
from limner.ids import new_event_id

__all__ = ["RefusalLog", "RefusalRecorder", "recent_refusals", "record_refusal"]

#: records a refusal (account, field, rule, style) before it is raised
RefusalRecorder = Callable[[AccountRef, str, str, str], None]


def record_refusal(
    *,
    session: Session,
    account_id: int | None,
    key_prefix: str | None,
    field: str,
    rule: str,
    style: str,
) -> ModerationEvent:
    event = ModerationEvent(
        id=new_event_id(),
        account_id=account_id,
        key_prefix=key_prefix,
        field=field,
        rule=rule,
        style=style,
        created_at=utcnow(),
    )
    session.add(event)
    return event


def recent_refusals(
    *, session: Session, limit: int = 100, key_prefix: str | None = None
) -> list[ModerationEvent]:
    query = select(ModerationEvent).order_by(ModerationEvent.created_at.desc()).limit(limit)
    if key_prefix:
        query = query.where(ModerationEvent.key_prefix == key_prefix)
    return list(session.scalars(query))


class RefusalLog:
    """Records a refusal in its own transaction (the refused request writes nothing else)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, account: AccountRef, field: str, rule: str, style: str) -> None:
        with self.database.transaction() as session:
            record_refusal(
                session=session,
                account_id=account.id,
                key_prefix=account.key_prefix,
                field=field,
                rule=rule,
                style=style,
            )
