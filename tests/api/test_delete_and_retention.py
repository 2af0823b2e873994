"""Deleting a generation (DELETE, SDK, CLI) and the retention sweep: images and prompt gone,
the ledger's charge kept."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from limner import ledger
from limner.client import Client, LimnerAPIError
from limner.clock import utcnow
from limner.db.tables import Generation, LedgerEntry
from tests.conftest import Key, KeyFactory
from tests.support.cli import cli_env
from tests.support.live_server import running

PROMPT = "a lighthouse at dusk over a quiet harbour"


def database_text(app: FastAPI) -> str:
    """Every row of every table of the SQLite database, as text."""
    database = app.state.limner.database
    path = database.engine.url.database
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


def image_files(app: FastAPI) -> list[Path]:
    return [path for path in app.state.limner.settings.images_dir.rglob("*") if path.is_file()]


def generate(client: TestClient, key: Key, **extra: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/generate", json={"prompt": PROMPT, "n": 2, **extra}, headers=key.headers
    )
    assert response.status_code in (200, 202), response.text
    body: dict[str, object] = response.json()
    return body


def balance(client: TestClient, key: Key) -> int:
    account = client.get("/api/v1/account", headers=key.headers).json()
    return int(account["credits_available"])


def test_delete_erases_images_and_prompt_and_keeps_the_charge(
    app: FastAPI, client: TestClient, make_key: KeyFactory
) -> None:
    key = make_key(credits=10)
    made = generate(client, key)
    generation_id = str(made["id"])
    urls = [str(image["url"]) for image in made["images"]]  # type: ignore[attr-defined]
    assert len(image_files(app)) == 2
    before = balance(client, key)
    assert PROMPT in database_text(app)

    deleted = client.delete(f"/api/v1/generations/{generation_id}", headers=key.headers)

    assert deleted.status_code == 204 and deleted.content == b""
    assert (
        client.get(f"/api/v1/generations/{generation_id}", headers=key.headers).status_code == 404
    )
    for url in urls:
        assert client.get(url.removeprefix("http://testserver")).status_code == 404
    assert image_files(app) == []
    assert PROMPT not in database_text(app)
    assert balance(client, key) == before  # the charge stays
    with app.state.limner.database.transaction() as session:
        assert ledger.audit(session=session, account_id=key.account_id).consistent
    with app.state.limner.database.read() as session:
        charged = session.scalar(
            select(func.count()).where(LedgerEntry.generation_id == generation_id)
        )
    assert charged and charged > 0
    again = client.delete(f"/api/v1/generations/{generation_id}", headers=key.headers)
    assert again.status_code == 404


def test_delete_of_another_keys_generation_is_404_and_keeps_it(
    client: TestClient, make_key: KeyFactory
) -> None:
    owner, stranger = make_key(credits=5), make_key()
    generation_id = generate(client, owner)["id"]
    theirs = client.delete(f"/api/v1/generations/{generation_id}", headers=stranger.headers)
    assert theirs.status_code == 404 and theirs.json()["error"] == "not_found"
    mine = client.get(f"/api/v1/generations/{generation_id}", headers=owner.headers)
    assert mine.status_code == 200


def test_a_queued_generation_must_be_canceled_before_it_is_deleted(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(queue_workers=0))  # nothing works the queue

    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        queued = client.post(
            "/api/v1/generate", json={"prompt": PROMPT, "async": True}, headers=headers
        ).json()
        refused = client.delete(f"/api/v1/generations/{queued['id']}", headers=headers)
        assert refused.status_code == 409 and refused.json()["error"] == "conflict"
        assert "cancel" in refused.json()["message"]
        assert client.post(f"/api/v1/generations/{queued['id']}/cancel", headers=headers).is_success
        assert (
            client.delete(f"/api/v1/generations/{queued['id']}", headers=headers).status_code == 204
        )


def test_a_key_whose_generation_was_deleted_is_refused_and_never_charges_again(
    client: TestClient, make_key: KeyFactory
) -> None:
    """The replay must not bring the deleted generation back, nor make (and charge) a new one:
    the key answers `409 idempotency_key_erased` until it expires, whatever the request."""
    key = make_key(credits=5)
    headers = {**key.headers, "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=headers)
    assert first.status_code == 200 and balance(client, key) == 9
    deleted = client.delete(f"/api/v1/generations/{first.json()['id']}", headers=key.headers)
    assert deleted.status_code == 204
    for body in ({"prompt": PROMPT}, {"prompt": "a quiet street at noon"}):
        again = client.post("/api/v1/generate", json=body, headers=headers)
        assert again.status_code == 409, again.text
        assert again.json()["error"] == "idempotency_key_erased"
        assert first.json()["id"] not in again.text
    assert balance(client, key) == 9
    listed = client.get("/api/v1/generations", headers=key.headers).json()
    assert listed["data"] == []
    # a new key generates again
    other = {**key.headers, "Idempotency-Key": "order-2"}
    assert (
        client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=other).status_code == 200
    )


def test_an_openai_answer_in_b64_is_erased_with_its_generation(
    app: FastAPI, client: TestClient, make_key: KeyFactory
) -> None:
    """An OpenAI `b64_json` answer holds the image itself and does not name its generation: the
    key still finds it (the generation id is recorded), so the image does not outlive DELETE."""
    key = make_key(credits=5)
    headers = {**key.headers, "Idempotency-Key": "openai-1"}
    body = {"prompt": PROMPT, "response_format": "b64_json"}
    first = client.post("/v1/images/generations", json=body, headers=headers)
    assert first.status_code == 200, first.text
    generation_id = first.headers["x-limner-generation-id"]
    replay = client.post("/v1/images/generations", json=body, headers=headers)
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["x-limner-generation-id"] == generation_id
    assert balance(client, key) == 9
    assert (
        client.delete(f"/api/v1/generations/{generation_id}", headers=key.headers).status_code
        == 204
    )
    again = client.post("/v1/images/generations", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "idempotency_key_erased"
    assert first.json()["data"][0]["b64_json"][:64] not in database_text(app)
    assert balance(client, key) == 9


def test_a_deleted_prompt_is_in_neither_the_database_nor_its_write_ahead_log(
    app: FastAPI, client: TestClient, make_key: KeyFactory
) -> None:
    key = make_key(credits=5)
    marker = "a lighthouse painted with zq7v unique brushwork"
    made = client.post("/api/v1/generate", json={"prompt": marker}, headers=key.headers)
    assert made.status_code == 200
    path = Path(app.state.limner.database.engine.url.database)
    files = [path, path.with_name(path.name + "-wal")]

    def on_disk() -> bool:
        return any(f.exists() and marker.encode() in f.read_bytes() for f in files)

    assert on_disk()  # written: the test can see it
    deleted = client.delete(f"/api/v1/generations/{made.json()['id']}", headers=key.headers)
    assert deleted.status_code == 204
    assert not on_disk()


def test_sdk_and_cli_delete(app: FastAPI, make_key: KeyFactory, tmp_path: Path) -> None:
    key = make_key(credits=5)
    with running(app) as base_url, Client(base_url, key.key) as sdk:
        first = sdk.generate(PROMPT)
        second = sdk.generate(PROMPT)
        sdk.delete(first.id)
        with pytest.raises(LimnerAPIError) as missing:
            sdk.generation(first.id)
        assert missing.value.status_code == 404
        result = subprocess.run(
            [sys.executable, "-m", "limner.cli", "delete", second.id],
            env=cli_env(tmp_path / "cli-data", LIMNER_URL=base_url, LIMNER_API_KEY=key.key),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"{second.id}: deleted" in result.stdout
        with pytest.raises(LimnerAPIError):
            sdk.generation(second.id)


def test_retention_sweep_erases_only_old_finished_generations(
    app: FastAPI, client: TestClient, make_key: KeyFactory, tmp_path: Path
) -> None:
    key = make_key(credits=10)
    old = generate(client, key)["id"]
    recent = generate(client, key)["id"]
    with app.state.limner.database.transaction() as session:
        session.execute(
            update(Generation)
            .where(Generation.id == old)
            .values(created_at=utcnow() - timedelta(days=40))
        )
    result = subprocess.run(
        [sys.executable, "-m", "limner.cli", "retention", "sweep", "--days", "30"],
        env=cli_env(app.state.limner.settings.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "erased 1 generation" in result.stdout
    assert client.get(f"/api/v1/generations/{old}", headers=key.headers).status_code == 404
    assert client.get(f"/api/v1/generations/{recent}", headers=key.headers).status_code == 200
    assert len(image_files(app)) == 2  # the recent batch's two images


def test_the_server_sweeps_at_start_when_retention_is_set(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    first = create_app(settings_factory())
    with first.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(first) as client:
        old = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=headers).json()
        recent = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=headers).json()
    with first.state.limner.database.transaction() as session:
        session.execute(
            update(Generation)
            .where(Generation.id == old["id"])
            .values(created_at=utcnow() - timedelta(days=8))
        )

    swept = create_app(settings_factory(retention_days=7))
    with TestClient(swept) as client:  # the first sweep is part of the start
        assert client.get(f"/api/v1/generations/{old['id']}", headers=headers).status_code == 404
        kept = client.get(f"/api/v1/generations/{recent['id']}", headers=headers)
        assert kept.status_code == 200
