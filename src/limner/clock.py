"""Time in one place, always timezone-aware UTC (the credit day is the UTC day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_today() -> date:
    return utcnow().date()


def next_utc_midnight(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def isoformat_z(moment: datetime) -> str:
    """`2025-12-25T10:30:00Z`, the contract's timestamp form."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
