"""Real PostgreSQL and Redis for tests, each test isolated in its own database / key prefix.

Where a service is unreachable the test skips with the reason, except under `CI=true`, where
it fails: CI must never pass by skipping the tests of the multi-process guarantees.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def unavailable(service: str, reason: str) -> None:
    message = f"{service} unavailable: {reason}"
    if os.getenv("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: these tests must run)", pytrace=False)
    pytest.skip(message)


def worker() -> str:
    """This pytest-xdist worker ("gw0", ...; "main" without xdist): named in every database and
    key prefix a test makes, beside a random part, so workers never meet and leftovers say whose
    they are."""
    return os.getenv("PYTEST_XDIST_WORKER", "main")


def postgres_admin_url() -> str:
    return os.getenv("LIMNER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def redis_url() -> str:
    return os.getenv("LIMNER_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database for this test; dropped afterwards. Yields its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("PostgreSQL", "psycopg is not installed (pip install 'limner[postgres]')")
    admin_url = make_url(postgres_admin_url())
    name = f"limner_test_{worker()}_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        unavailable("PostgreSQL", f"cannot create a database at {admin_url!r}: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(redis_url, a key prefix of its own); every key under the prefix is deleted afterwards."""
    try:
        import redis
    except ImportError:
        unavailable("Redis", "the redis package is not installed (pip install 'limner[redis]')")
    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        client.close()
        unavailable("Redis", f"cannot reach {url}: {exc}")
    prefix = f"limner-test-{worker()}-{secrets.token_hex(6)}"
    try:
        yield url, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
