"""The migrations form one line, and a database made by them matches the tables the code uses."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from limner.db.engine import Database
from limner.db.migrate import alembic_config, upgrade
from limner.db.tables import Base


def test_the_migrations_have_one_head_and_no_branches(tmp_path: Path) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'x.db'}"))
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert not revision.is_branch_point, f"{revision.revision} has two children"


def test_a_migrated_database_has_every_table_and_column_of_the_code(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'limner.db'}")
    upgrade(database)
    inspector = inspect(database.engine)
    for table in Base.metadata.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert {column.name for column in table.columns} <= columns, table.name
    database.dispose()
