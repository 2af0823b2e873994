"""What a local user or a copy of the database can read: private files, sealed webhook secrets."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from limner import keys
from limner.api import create_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The common 022 umask, under which files are world-readable unless made otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def start(settings_factory, data_dir: Path) -> tuple[TestClient, dict[str, str]]:
    app = create_app(settings_factory(data_dir=data_dir))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    return TestClient(app), {"Authorization": f"Bearer {issued.key}"}


def stored_secrets(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "limner.db") as connection:
        return [row[0] for row in connection.execute("SELECT secret FROM webhook_secrets")]


def test_data_dir_and_database_files_are_private(settings_factory, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    client, headers = start(settings_factory, data_dir)
    with client:
        assert client.post("/api/v1/generate", json={"prompt": "a fox"}, headers=headers).is_success
        files = [data_dir / name for name in ("limner.db", "limner.db-wal", "limner.db-shm")]
        assert all(file.exists() for file in files)
        assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
    assert mode(data_dir) == 0o700 and mode(data_dir.parent) == 0o700
    assert mode(data_dir / "keys") == 0o700
    assert mode(data_dir / "keys" / "webhook-secrets.key") == 0o600


def test_files_an_older_version_left_readable_are_tightened(settings_factory, tmp_path) -> None:
    data_dir = tmp_path / "data"
    client, _ = start(settings_factory, data_dir)
    with client:
        pass
    database = data_dir / "limner.db"
    os.chmod(database, 0o644)
    client, _ = start(settings_factory, data_dir)
    with client:
        assert mode(database) == 0o600


def test_webhook_secrets_are_sealed_in_the_database(settings_factory, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    client, headers = start(settings_factory, data_dir)
    with client:
        first = client.get("/api/v1/webhook-secret", headers=headers).json()["secret"]
        second = client.post("/api/v1/webhook-secret", headers=headers).json()["secret"]
        assert client.get("/api/v1/webhook-secret", headers=headers).json()["secret"] == second
    stored = stored_secrets(data_dir)
    assert len(stored) == 2
    for value in stored:
        assert value.startswith("fernet:")
        assert first not in value and second not in value
        assert first.removeprefix("whsec_") not in value


def test_plain_text_secrets_of_an_older_version_are_sealed_at_start(
    settings_factory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    client, headers = start(settings_factory, data_dir)
    with client:
        secret = client.get("/api/v1/webhook-secret", headers=headers).json()["secret"]
    legacy = "whsec_" + "A" * 43 + "="  # as an older version stored it
    with sqlite3.connect(data_dir / "limner.db") as connection:
        connection.execute("UPDATE webhook_secrets SET secret = ?", (legacy,))
    assert stored_secrets(data_dir) == [legacy]
    client, _ = start(settings_factory, data_dir)
    with client:
        assert client.get("/api/v1/webhook-secret", headers=headers).json()["secret"] == legacy
    (sealed,) = stored_secrets(data_dir)
    assert sealed.startswith("fernet:") and legacy.removeprefix("whsec_") not in sealed
    assert secret != legacy


def test_the_cli_shows_the_same_secret_as_the_api(settings_factory, tmp_path: Path) -> None:
    import subprocess
    import sys

    data_dir = tmp_path / "data"
    client, headers = start(settings_factory, data_dir)
    with client:
        secret = client.get("/api/v1/webhook-secret", headers=headers).json()["secret"]
    with sqlite3.connect(data_dir / "limner.db") as connection:
        (account_id,) = connection.execute("SELECT id FROM accounts").fetchone()
    shown = subprocess.run(
        [sys.executable, "-m", "limner.cli", "webhooks", "secret", str(account_id)],
        env={**os.environ, "LIMNER_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == secret
