"""A migrated SQLite database, built once per test process and copied into each test's data dir.

Replaying every Alembic migration took about half of each test app's start. The copy is what
`upgrade()` would have left (the server still runs `upgrade()` on it and finds it current), so a
test sees the schema a fresh server makes; tests of the migrations themselves migrate their own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from limner.config import Settings
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.fileperms import PRIVATE_FILE, make_private_dirs

__all__ = ["build_template", "seed_database"]


def build_template(path: Path) -> Path:
    """Migrate a new SQLite file at `path` to every head; returns `path`."""
    database = Database(f"sqlite:///{path}")
    try:
        upgrade(database)
    finally:
        database.dispose()  # the last connection's close folds the WAL back into the file
    leftover = path.with_name(path.name + "-wal")
    if leftover.exists() and leftover.stat().st_size:
        raise RuntimeError(f"the template database left a WAL behind: {leftover}")
    return path


def seed_database(settings: Settings, template: Path) -> None:
    """Copy `template` to where `settings` keeps its SQLite database, when it uses the default
    one in its data dir and none is there yet (a database URL of its own is left alone)."""
    if settings.database_url:
        return
    target = settings.data_dir / "limner.db"
    if target.exists():
        return
    make_private_dirs(target.parent)  # what the server would make: 0700 folders
    shutil.copyfile(template, target)
    os.chmod(target, PRIVATE_FILE)
