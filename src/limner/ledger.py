"""The credit ledger: reserve before generating, capture on success, release on failure.

Balances live on the account row in two buckets: the daily allowance (refilled on the first
use of each UTC day) and granted credits (bought or granted, never expire). Every change writes an
append-only `LedgerEntry`, so for each account `sum(daily_delta) == daily_remaining` and
`sum(granted_delta) == granted_balance` (checked by `audit`).

Concurrency: every mutation reads the account with `SELECT ... FOR UPDATE` (PostgreSQL) inside a
transaction that SQLite opens with `BEGIN IMMEDIATE`, so two reservations on one key serialise and
neither can spend what the other took. CHECK constraints refuse negative balances underneath.
All functions are keyword-only and work inside the caller's transaction.

A test key's generation holds nothing (`hold_nothing`): a reservation of zero credits that writes
no entry when it is made or settled, kept only because it names the process running the
generation, which is how crash recovery finds the generations of a process that died.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from limner.clock import next_utc_midnight, utc_today, utcnow
from limner.db.tables import Account, LedgerEntry, Reservation
from limner.errors import InsufficientCredits, LimnerError, ValidationFailed
from limner.ids import new_reservation_id


class LedgerError(LimnerError):
    """A ledger invariant would break (settling a reservation twice, for example)."""


@dataclass(frozen=True)
class Balance:
    daily_allowance: int
    daily_remaining: int
    granted: int
    resets_at: datetime

    @property
    def available(self) -> int:
        return self.daily_remaining + self.granted


def balance(*, account: Account, allowance: int, today: date | None = None) -> Balance:
    """What the account can spend now. A new day shows the full allowance before it is written."""
    today = today or utc_today()
    daily = account.daily_remaining if account.daily_date == today else allowance
    return Balance(
        daily_allowance=allowance,
        daily_remaining=daily,
        granted=account.granted_balance,
        resets_at=next_utc_midnight(),
    )


def reserve(
    *,
    session: Session,
    account_id: int,
    amount: int,
    allowance: int,
    generation_id: str,
    owner: str | None = None,
) -> Reservation:
    """Hold `amount` credits (daily first, then granted) or raise `InsufficientCredits`.

    `owner` names the process holding it (`limner.recovery`), so only a dead owner's holds are
    released after a crash."""
    if amount <= 0:
        raise ValidationFailed("amount", "a reservation must be for at least one credit")
    account = _locked_account(session, account_id)
    today = utc_today()
    _refill_if_new_day(session, account, allowance, today)
    available = account.daily_remaining + account.granted_balance
    if available < amount:
        raise InsufficientCredits(required=amount, available=available)
    from_daily = min(account.daily_remaining, amount)
    from_granted = amount - from_daily
    account.daily_remaining -= from_daily
    account.granted_balance -= from_granted
    reservation = Reservation(
        id=new_reservation_id(),
        account_id=account.id,
        generation_id=generation_id,
        status="open",
        daily_amount=from_daily,
        granted_amount=from_granted,
        daily_date=today,
        created_at=utcnow(),
        owner=owner,
    )
    session.add(reservation)
    _entry(session, account.id, "reserve", -from_daily, -from_granted, reservation, "")
    session.flush()
    return reservation


def hold_nothing(
    *, session: Session, account_id: int, generation_id: str, owner: str | None = None
) -> Reservation:
    """A hold of zero credits for a generation that is never charged (a test key's): no balance
    moves and no entry is written, now or when it settles; only its `owner` matters."""
    reservation = Reservation(
        id=new_reservation_id(),
        account_id=account_id,
        generation_id=generation_id,
        status="open",
        daily_amount=0,
        granted_amount=0,
        daily_date=utc_today(),
        created_at=utcnow(),
        owner=owner,
    )
    session.add(reservation)
    session.flush()
    return reservation


def capture(*, session: Session, reservation_id: str) -> int:
    """Make a reservation's charge final; returns the credits charged."""
    reservation = _settle(session, reservation_id, "captured")
    if _holds_nothing(reservation):
        return 0
    _entry(session, reservation.account_id, "capture", 0, 0, reservation, "charged")
    return reservation.daily_amount + reservation.granted_amount


def capture_partial(*, session: Session, reservation_id: str, amount: int) -> int:
    """Charge `amount` of a reservation and give the rest back (a batch where some images
    failed). The charge takes daily credits first, like the reservation did; the remainder
    returns granted credits first, and daily credits only on the day they were taken.
    Returns the credits charged."""
    reservation = session.get(Reservation, reservation_id, populate_existing=True)
    if reservation is None:
        raise LedgerError(f"no reservation {reservation_id}")
    total = reservation.daily_amount + reservation.granted_amount
    if not 0 <= amount <= total:
        raise LedgerError(f"cannot charge {amount} of a reservation of {total}")
    if amount == total:
        return capture(session=session, reservation_id=reservation_id)
    if amount == 0:
        release(session=session, reservation_id=reservation_id, reason="nothing to charge")
        return 0
    reservation = _settle(session, reservation_id, "captured")
    charged_daily = min(reservation.daily_amount, amount)
    charged_granted = amount - charged_daily
    account = _locked_account(session, reservation.account_id)
    same_day = account.daily_date == reservation.daily_date
    daily_back = reservation.daily_amount - charged_daily if same_day else 0
    granted_back = reservation.granted_amount - charged_granted
    account.daily_remaining += daily_back
    account.granted_balance += granted_back
    _entry(session, account.id, "capture", 0, 0, reservation, f"charged {amount} of {total}")
    _entry(session, account.id, "release", daily_back, granted_back, reservation, "partly charged")
    return amount


def release(*, session: Session, reservation_id: str, reason: str) -> None:
    """Give a reservation back. Daily credits return only on the day they were taken from."""
    reservation = _settle(session, reservation_id, "released")
    if _holds_nothing(reservation):
        return
    account = _locked_account(session, reservation.account_id)
    daily_back = reservation.daily_amount if account.daily_date == reservation.daily_date else 0
    account.daily_remaining += daily_back
    account.granted_balance += reservation.granted_amount
    _entry(
        session,
        account.id,
        "release",
        daily_back,
        reservation.granted_amount,
        reservation,
        reason[:200],
    )


def grant(*, session: Session, account_id: int, amount: int, note: str = "") -> Account:
    """Add bought or granted credits (they do not expire)."""
    if amount <= 0:
        raise ValidationFailed("amount", "grant a positive number of credits")
    account = _locked_account(session, account_id)
    account.granted_balance += amount
    _entry(session, account.id, "grant", 0, amount, None, note[:200])
    return account


@dataclass(frozen=True)
class AuditResult:
    account_id: int
    daily_balance: int
    daily_from_entries: int
    granted_balance: int
    granted_from_entries: int
    open_reservations: int

    @property
    def consistent(self) -> bool:
        return (
            self.daily_balance == self.daily_from_entries
            and self.granted_balance == self.granted_from_entries
        )


def audit(*, session: Session, account_id: int) -> AuditResult:
    """Recompute both balances from the entries and compare them with the account row."""
    account = session.get(Account, account_id)
    if account is None:
        raise LedgerError(f"no account {account_id}")
    daily, granted = session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.daily_delta), 0),
            func.coalesce(func.sum(LedgerEntry.granted_delta), 0),
        ).where(LedgerEntry.account_id == account_id)
    ).one()
    open_count = session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(Reservation.account_id == account_id, Reservation.status == "open")
    )
    return AuditResult(
        account_id,
        account.daily_remaining,
        int(daily),
        account.granted_balance,
        int(granted),
        int(open_count or 0),
    )


def entries(*, session: Session, account_id: int, limit: int = 100) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def _locked_account(session: Session, account_id: int) -> Account:
    account = session.scalar(
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise LedgerError(f"no account {account_id}")
    return account


def _refill_if_new_day(session: Session, account: Account, allowance: int, today: date) -> None:
    if account.daily_date == today:
        return
    delta = allowance - account.daily_remaining
    account.daily_date = today
    account.daily_remaining = allowance
    _entry(session, account.id, "daily_refill", delta, 0, None, f"allowance for {today}")


def _settle(session: Session, reservation_id: str, new_status: str) -> Reservation:
    # A conditional UPDATE, so two settlers racing on one reservation cannot both win.
    result = session.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id, Reservation.status == "open")
        .values(status=new_status, settled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LedgerError(f"reservation {reservation_id} is not open")
    reservation = session.get(Reservation, reservation_id, populate_existing=True)
    assert reservation is not None
    return reservation


def _holds_nothing(reservation: Reservation) -> bool:
    return reservation.daily_amount == 0 and reservation.granted_amount == 0


def _entry(
    session: Session,
    account_id: int,
    kind: str,
    daily_delta: int,
    granted_delta: int,
    reservation: Reservation | None,
    note: str,
) -> None:
    session.add(
        LedgerEntry(
            account_id=account_id,
            created_at=utcnow(),
            kind=kind,
            daily_delta=daily_delta,
            granted_delta=granted_delta,
            reservation_id=reservation.id if reservation else None,
            generation_id=reservation.generation_id if reservation else None,
            note=note,
        )
    )
