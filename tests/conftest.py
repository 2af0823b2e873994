"""Shared fixtures: every test gets its own data directory, settings, app and keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from tests.support.services import postgres_url, redis_prefix  # noqa: F401 (fixtures)
from tests.support.template_db import build_template, seed_database

pytest_plugins = ["tests.support.no_sleep"]


@pytest.fixture(autouse=True, scope="session")
def _subprocesses_run_this_source() -> Iterator[None]:
    """Subprocesses (`python -m limner.cli serve`, Ray workers) must run the code under test,
    not whichever limner the virtualenv has installed."""
    import os

    source = str(Path(__file__).resolve().parents[1] / "src")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [source, before]))
    yield
    if before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = before


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LIMNER_* setting leaks in from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("LIMNER_") and not name.startswith("LIMNER_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LIMNER_DATA_DIR", str(tmp_path / "data"))
    # the default backend (auto) looks for models; tests name the one they use
    monkeypatch.setenv("LIMNER_BACKEND", "placeholder")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once for the whole test process (each test gets a copy)."""
    return build_template(tmp_path_factory.mktemp("template-db") / "limner.db")


@pytest.fixture
def settings_factory(tmp_path: Path, migrated_database: Path) -> Callable[..., Settings]:
    """Settings on this test's data dir, whose database starts as a copy of the migrated one."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "public_url": "http://testserver",
            # stamping in the request's thread: no worker processes to spawn for each test app
            # (tests/unit/test_stamping_pool.py and the live servers run the pool)
            "provenance_workers": 0,
        }
        values.update(overrides)
        made = Settings(**values)  # type: ignore[arg-type]
        seed_database(made, migrated_database)
        return made

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Key:
    key: str
    prefix: str
    account_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


KeyFactory = Callable[..., Key]


@pytest.fixture
def make_key(app: FastAPI) -> KeyFactory:
    """Create a key on the app's database: make_key(plan="free", credits=0)."""

    def make(plan: str = "free", credits: int = 0, name: str = "test") -> Key:
        database = app.state.limner.database
        with database.transaction() as session:
            issued = keys.create_key(session=session, plan=plan, name=name)
            if credits:
                ledger.grant(session=session, account_id=issued.account_id, amount=credits)
        return Key(issued.key, issued.prefix, issued.account_id)

    return make


@pytest.fixture
def key(make_key: KeyFactory) -> Key:
    return make_key()
