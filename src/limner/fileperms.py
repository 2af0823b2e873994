"""Files only the server's own user may read: the data dir, the SQLite database and its WAL/SHM.

The database holds key hashes, the ledger and sealed webhook secrets; on a shared machine other
local users must not read it, whatever the umask. Folders this module creates are 0700 and the
SQLite file 0600. SQLite gives its `-wal` and `-shm` files the database file's mode, and files an
earlier version left looser are tightened at start.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents, each 0700 (existing folders are left alone: they
    may be the operator's, such as a mount point)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=PRIVATE_DIR)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def private_sqlite_file(path: Path) -> None:
    """Make the database file exist with mode 0600 before SQLite opens it (SQLite would create
    it with the umask's mode), and tighten it and its companions if they are looser."""
    make_private_dirs(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                os.chmod(file, PRIVATE_FILE)
