"""Schema migrations with Alembic, run by `limner db upgrade` and at server start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from limner.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock key held while migrating ("limner" as bytes)
MIGRATION_LOCK = 0x6C696D6E6572


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "heads") -> None:
    """Bring the schema to `revision` (default: every head, so parallel branches both apply)."""
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # several processes start at once (`serve --processes N`, many hosts): one migrates,
            # the others wait here and then find the schema current (SQLite's BEGIN IMMEDIATE
            # serialises them already)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
