"""SFW-only keys: the column (migration 0003), the key functions and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from limner import keys
from limner.cli import app as cli
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.service import account_ref


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'data' / 'limner.db'}")
    (tmp_path / "data").mkdir(exist_ok=True)
    upgrade(database)
    return database


def test_keys_are_not_sfw_only_unless_asked(database: Database) -> None:
    with database.transaction() as session:
        plain = keys.create_key(session=session)
        sfw = keys.create_key(session=session, sfw_only=True)
    with database.read() as session:
        assert not account_ref(
            keys.find_account(session=session, prefix_or_id=plain.prefix)
        ).sfw_only
        assert account_ref(keys.find_account(session=session, prefix_or_id=sfw.prefix)).sfw_only


def test_the_mark_can_be_set_and_cleared(database: Database) -> None:
    with database.transaction() as session:
        issued = keys.create_key(session=session)
    for value in (True, False):
        with database.transaction() as session:
            keys.set_sfw_only(session=session, prefix_or_id=issued.prefix, sfw_only=value)
        with database.read() as session:
            assert keys.find_account(session=session, prefix_or_id=issued.prefix).sfw_only is value


def test_cli_create_and_toggle(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"LIMNER_DATA_DIR": str(tmp_path / "data")}
    created = runner.invoke(cli, ["keys", "create", "--sfw-only"], env=env)
    assert created.exit_code == 0, created.output
    assert "SFW-only" in created.output
    prefix = created.output.strip().splitlines()[-1][:12]
    database = Database(f"sqlite:///{(tmp_path / 'data' / 'limner.db').resolve()}")
    with database.read() as session:
        assert keys.find_account(session=session, prefix_or_id=prefix).sfw_only
    off = runner.invoke(cli, ["keys", "sfw", prefix, "--off"], env=env)
    assert off.exit_code == 0, off.output
    with database.read() as session:
        assert not keys.find_account(session=session, prefix_or_id=prefix).sfw_only
    database.dispose()
