"""Engine and session factory. SQLite gets the settings that make its locking honest:
`BEGIN IMMEDIATE` (the write lock is taken when the transaction starts, so read-then-write
sections such as a credit reservation serialise), WAL, a busy timeout, and `secure_delete` (a
deleted row's bytes are overwritten, not left in free space; `checkpoint` then takes the
write-ahead log's copies out of `limner.db-wal` too, so an erased prompt leaves both files)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """Owns the engine and hands out sessions; one per process, built from settings."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # read-only work skips SQLite's write lock (WAL lets readers run beside a writer)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(limner_read_only=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only; on SQLite it does not take the write lock."""
        with self._read_sessions() as session, session.begin():
            yield session

    def checkpoint(self) -> bool:
        """After an erasure, on SQLite: copy the write-ahead log into the database and truncate
        it, so the erased rows' old pages are in neither file. False when a reader kept it from
        finishing (it is then done by a later erasure or by SQLite's own checkpoints)."""
        if not self.is_sqlite:
            return True
        with self.engine.connect() as connection:
            # on the driver's connection: SQLAlchemy would open a transaction first, and a
            # checkpoint cannot run inside one
            driver = connection.connection.driver_connection
            assert driver is not None
            busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        from limner.fileperms import private_sqlite_file

        private_sqlite_file(Path(parsed.database))
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy, not the sqlite3 module, decide when transactions begin
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # per connection: erased bytes are zeroed
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("limner_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
