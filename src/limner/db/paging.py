"""Newest-first keyset pages of one account's rows (generations, characters): one definition of
the cursor, the order and the `limit` check, for every list endpoint."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from limner.errors import NotFound, ValidationFailed

__all__ = ["MAX_PAGE", "newest_first"]

#: the largest `limit` a list endpoint takes
MAX_PAGE = 100

Row = TypeVar("Row")


def newest_first(
    session: Session,
    model: type[Row],
    query: Select[Any],
    *,
    account_id: int,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    """The page of `query` (already limited to the account) after `cursor`, the last id of the
    previous page, newest first; and the next cursor, None on the last page. A cursor in the
    right form that is not one of the account's ids (deleted since, or another account's) is
    `NotFound`: the form is the schema's `pattern`, so a well-formed cursor is never a 400."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed("limit", f"`limit` must be from 1 to {MAX_PAGE} but is {limit}")
    table: Any = model  # a mapped class with `id`, `account_id` and `created_at` columns
    if cursor is not None:
        last: Any = session.get(model, cursor)
        if last is None or getattr(last, "account_id", None) != account_id:
            raise NotFound(
                f"No row {cursor!r} of yours to continue after: `cursor` takes the "
                "`next_cursor` of a previous page (gone if that row was deleted since)."
            )
        created_at = last.created_at
        query = query.where(
            or_(
                table.created_at < created_at,
                and_(table.created_at == created_at, table.id < last.id),
            )
        )
    rows = list(
        session.scalars(query.order_by(table.created_at.desc(), table.id.desc()).limit(limit + 1))
    )
    items = rows[:limit]
    more = len(rows) > limit
    return items, items[-1].id if more and items else None
