"""Partial capture: a batch charges its successes and gives the rest back, audit exact."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from limner import keys, ledger
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Account, LedgerEntry, Reservation


@pytest.fixture
def database(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(db)
    return db


def make_account(database: Database, granted: int) -> int:
    with database.transaction() as session:
        account_id = keys.create_key(session=session).account_id
        if granted:
            ledger.grant(session=session, account_id=account_id, amount=granted)
        return account_id


def reserve(database: Database, account_id: int, amount: int) -> str:
    with database.transaction() as session:
        return ledger.reserve(
            session=session, account_id=account_id, amount=amount, allowance=5, generation_id="g"
        ).id


def state(database: Database, account_id: int) -> tuple[int, int]:
    with database.transaction() as session:
        account = session.get(Account, account_id)
        return account.daily_remaining, account.granted_balance


@pytest.mark.parametrize(
    ("amount", "charged", "expected"),
    [
        # 5 daily + 4 granted; reserve 8 = 5 daily + 3 granted
        (8, 8, (0, 1)),
        (5, 5, (0, 4)),  # the charge takes daily first; granted comes back
        (6, 6, (0, 3)),
        (2, 2, (3, 4)),
        (0, 0, (5, 4)),
    ],
)
def test_capture_partial(database: Database, amount: int, charged: int, expected) -> None:
    account_id = make_account(database, granted=4)
    reservation_id = reserve(database, account_id, 8)
    with database.transaction() as session:
        assert (
            ledger.capture_partial(session=session, reservation_id=reservation_id, amount=amount)
            == charged
        )
    assert state(database, account_id) == expected
    with database.transaction() as session:
        audit = ledger.audit(session=session, account_id=account_id)
        assert audit.consistent and audit.open_reservations == 0
        reservation = session.get(Reservation, reservation_id)
        assert reservation.status == ("released" if amount == 0 else "captured")


def test_partial_capture_settles_once_and_refuses_bad_amounts(database: Database) -> None:
    account_id = make_account(database, granted=0)
    reservation_id = reserve(database, account_id, 4)
    with database.transaction() as session, pytest.raises(ledger.LedgerError):
        ledger.capture_partial(session=session, reservation_id=reservation_id, amount=5)
    with database.transaction() as session:
        ledger.capture_partial(session=session, reservation_id=reservation_id, amount=1)
    with database.transaction() as session, pytest.raises(ledger.LedgerError):
        ledger.capture_partial(session=session, reservation_id=reservation_id, amount=1)
    with database.transaction() as session:
        kinds = session.scalars(
            select(LedgerEntry.kind).where(LedgerEntry.reservation_id == reservation_id)
        ).all()
    assert kinds == ["reserve", "capture", "release"]
    assert state(database, account_id) == (4, 0)
