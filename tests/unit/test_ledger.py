"""The credit ledger against real SQLite and PostgreSQL databases: reserve, capture, release,
audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from limner import keys, ledger
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Account, LedgerEntry
from limner.errors import InsufficientCredits, ValidationFailed


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    db = Database(url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def account_id(database: Database) -> int:
    with database.transaction() as session:
        return keys.create_key(session=session).account_id


def reserve(database: Database, account_id: int, amount: int, allowance: int = 5) -> str:
    with database.transaction() as session:
        return ledger.reserve(
            session=session,
            account_id=account_id,
            amount=amount,
            allowance=allowance,
            generation_id="gen_test",
        ).id


def available(database: Database, account_id: int, allowance: int = 5) -> int:
    with database.transaction() as session:
        account = session.get(Account, account_id)
        return ledger.balance(account=account, allowance=allowance).available


def test_daily_first_then_granted(database: Database, account_id: int) -> None:
    with database.transaction() as session:
        ledger.grant(session=session, account_id=account_id, amount=3)
    reservation = reserve(database, account_id, 7)
    with database.transaction() as session:
        account = session.get(Account, account_id)
        assert (account.daily_remaining, account.granted_balance) == (0, 1)
        assert ledger.capture(session=session, reservation_id=reservation) == 7
    assert available(database, account_id) == 1


def test_release_gives_everything_back(database: Database, account_id: int) -> None:
    reservation = reserve(database, account_id, 2)
    assert available(database, account_id) == 3
    with database.transaction() as session:
        ledger.release(session=session, reservation_id=reservation, reason="generation_failed")
    assert available(database, account_id) == 5


def test_a_reservation_settles_once(database: Database, account_id: int) -> None:
    reservation = reserve(database, account_id, 1)
    with database.transaction() as session:
        ledger.capture(session=session, reservation_id=reservation)
    for settle in (ledger.capture, lambda **kw: ledger.release(reason="x", **kw)):
        with pytest.raises(ledger.LedgerError), database.transaction() as session:
            settle(session=session, reservation_id=reservation)
    assert available(database, account_id) == 4


def test_insufficient_credits_changes_nothing(database: Database, account_id: int) -> None:
    reserve(database, account_id, 4)
    with pytest.raises(InsufficientCredits) as raised:
        reserve(database, account_id, 2)
    assert (raised.value.required, raised.value.available) == (2, 1)
    assert available(database, account_id) == 1


def test_amounts_must_be_positive(database: Database, account_id: int) -> None:
    with pytest.raises(ValidationFailed):
        reserve(database, account_id, 0)
    with pytest.raises(ValidationFailed), database.transaction() as session:
        ledger.grant(session=session, account_id=account_id, amount=-3)


def test_a_new_utc_day_refills_the_allowance(database: Database, account_id: int) -> None:
    reserve(database, account_id, 5)
    assert available(database, account_id) == 0
    with database.transaction() as session:
        session.execute(update(Account).values(daily_date=date.today() - timedelta(days=1)))
    assert available(database, account_id) == 5
    reserve(database, account_id, 1)
    with database.transaction() as session:
        kinds = session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
        assert kinds == ["daily_refill", "reserve", "daily_refill", "reserve"]


def test_release_after_midnight_returns_no_stale_daily_credit(
    database: Database, account_id: int
) -> None:
    with database.transaction() as session:
        ledger.grant(session=session, account_id=account_id, amount=2)
    reservation = reserve(database, account_id, 6)  # 5 daily + 1 granted
    with database.transaction() as session:
        session.execute(update(Account).values(daily_date=date.today() - timedelta(days=1)))
        session.execute(
            update(ledger.Reservation).values(daily_date=date.today() - timedelta(days=1))
        )
        ledger.release(session=session, reservation_id=reservation, reason="restart")
        account = session.get(Account, account_id)
        assert account.granted_balance == 2  # granted credits always come back
    assert available(database, account_id) == 7  # today's fresh 5 + 2 granted


def test_entries_explain_every_balance(database: Database, account_id: int) -> None:
    with database.transaction() as session:
        ledger.grant(session=session, account_id=account_id, amount=4)
    for amount, settle in ((3, "capture"), (2, "release"), (4, "capture"), (1, "release")):
        reservation = reserve(database, account_id, amount)
        with database.transaction() as session:
            if settle == "capture":
                ledger.capture(session=session, reservation_id=reservation)
            else:
                ledger.release(session=session, reservation_id=reservation, reason="x")
    with database.transaction() as session:
        result = ledger.audit(session=session, account_id=account_id)
    assert result.consistent
    assert (result.daily_balance, result.granted_balance) == (0, 2)


def test_the_database_refuses_negative_balances(database: Database, account_id: int) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(update(Account).values(granted_balance=-1))


def test_a_hold_of_nothing_writes_no_entry_made_or_settled(
    database: Database, account_id: int
) -> None:
    """A test key's generation: its zero hold only names the owner for crash recovery."""
    held = []
    for _ in range(3):
        with database.transaction() as session:
            held.append(
                ledger.hold_nothing(
                    session=session, account_id=account_id, generation_id="gen_t", owner="ins_x"
                ).id
            )
    with database.transaction() as session:
        assert ledger.capture(session=session, reservation_id=held[0]) == 0
        assert ledger.capture_partial(session=session, reservation_id=held[1], amount=0) == 0
        ledger.release(session=session, reservation_id=held[2], reason="failed")
    with database.read() as session:
        assert ledger.entries(session=session, account_id=account_id) == []
        account = session.get(Account, account_id)
        assert account.daily_date is None and account.granted_balance == 0  # not even a refill
        assert ledger.audit(session=session, account_id=account_id).open_reservations == 0
    with database.transaction() as session, pytest.raises(ledger.LedgerError):
        ledger.release(session=session, reservation_id=held[2], reason="twice")  # settles once
