"""The tables. Balances live on `accounts`; `ledger_entries` is the append-only record that
explains every change to them (sum of deltas per bucket == the balance, see `limner.ledger`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    """One API key and its credit balances (a key is an account, as in the commercial service)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: public, non-secret part of the key, shown in listings ("lmn_ab12cd34")
    key_prefix: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    #: sha256 of the full key; the key itself is never stored
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    plan: Mapped[str] = mapped_column(String(16), default="free")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: the UTC day `daily_remaining` belongs to; a new day refills it
    daily_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    daily_remaining: Mapped[int] = mapped_column(Integer, default=0)
    granted_balance: Mapped[int] = mapped_column(Integer, default=0)
    #: every output this key gets is screened for nudity (docs/safety.md)
    sfw_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # the database itself refuses a negative balance, whatever the code above it does
    __table_args__ = (
        CheckConstraint("daily_remaining >= 0", name="ck_accounts_daily_nonnegative"),
        CheckConstraint("granted_balance >= 0", name="ck_accounts_granted_nonnegative"),
    )


class LedgerEntry(Base):
    """An append-only balance change. Never updated, never deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: daily_refill | grant | reserve | release | capture
    kind: Mapped[str] = mapped_column(String(16))
    daily_delta: Mapped[int] = mapped_column(Integer, default=0)
    granted_delta: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    generation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class Reservation(Base):
    """Credits held for one generation: open -> captured | released."""

    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    generation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    daily_amount: Mapped[int] = mapped_column(Integer)
    granted_amount: Mapped[int] = mapped_column(Integer)
    #: the UTC day the daily part was taken from; a release after that day returns no daily credit
    daily_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Generation(Base):
    __tablename__ = "generations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: queued | running | completed | failed | canceled | blocked
    status: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16), default="t2i")
    prompt: Mapped[str] = mapped_column(Text)
    quality: Mapped[str] = mapped_column(String(16))
    style: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(32))
    credits_used: Mapped[int] = mapped_column(Integer, default=0)
    #: unguessable token naming the stored image; the URL is built from it
    image_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    image_media_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_generations_account_created", "account_id", "created_at"),)


class ModerationEvent(Base):
    """A refusal, for abuse review: id, key, field, rule, time. Never the text or an image."""

    __tablename__ = "moderation_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    key_prefix: Mapped[str | None] = mapped_column(String(32), nullable=True)
    field: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    style: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
