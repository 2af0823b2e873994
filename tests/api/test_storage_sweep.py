"""The storage sweep on a real app's database and store: orphans go, owned objects stay."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from limner.clock import utcnow
from limner.config import Settings
from limner.ids import new_image_token
from limner.media.sweep import StorageSweeper, sweep_storage
from tests.conftest import Key


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_tokens(app: FastAPI) -> set[str]:
    return {info.token for info in app.state.limner.store.list_objects()}


def test_orphans_older_than_the_grace_go_and_owned_objects_stay(
    client: TestClient, key: Key, app: FastAPI
) -> None:
    context = app.state.limner
    made = client.post(
        "/api/v1/generate", json={"prompt": "a lighthouse at dusk"}, headers=key.headers
    ).json()
    output_token = made["image_url"].rsplit("/", 1)[1].removesuffix(".png")
    upload = client.post(
        "/api/v1/uploads", files={"file": ("p.png", png(), "image/png")}, headers=key.headers
    ).json()
    orphan = new_image_token()
    context.store.put(orphan, b"\x89PNG half of an image", "image/png")
    orphan_video = new_image_token()
    context.store.put(orphan_video, b"mp4", "video/mp4")
    partial = context.store.root / orphan[:2] / ".tmp-interrupted"
    partial.write_bytes(b"half")  # a write a crash cut short before its rename
    everything = stored_tokens(app)
    assert {output_token, orphan, orphan_video} <= everything and len(everything) == 4

    # within the grace period nothing goes: a running generation's files have no row yet
    young = sweep_storage(database=context.database, store=context.store, grace=timedelta(hours=1))
    assert (young.orphans_removed, young.expired_uploads_removed) == (0, 0)
    assert young.partial_writes_removed == 0 and partial.exists()
    assert stored_tokens(app) == everything

    later = utcnow() + timedelta(hours=2)
    report = sweep_storage(
        database=context.database, store=context.store, grace=timedelta(hours=1), now=later
    )
    assert (report.orphans_removed, report.expired_uploads_removed, report.kept) == (2, 0, 2)
    assert report.partial_writes_removed == 1 and not partial.exists()
    assert orphan not in stored_tokens(app) and orphan_video not in stored_tokens(app)
    assert client.get(made["image_url"].removeprefix("http://testserver")).status_code == 200
    assert client.get(f"/api/v1/uploads/{upload['id']}", headers=key.headers).status_code == 200


def test_expired_uploads_lose_row_and_bytes(client: TestClient, key: Key, app: FastAPI) -> None:
    context = app.state.limner
    upload = client.post(
        "/api/v1/uploads", files={"file": ("p.png", png(), "image/png")}, headers=key.headers
    ).json()
    assert len(stored_tokens(app)) == 1
    after_expiry = utcnow() + timedelta(hours=25)  # the default time to live is 24 h
    report = sweep_storage(
        database=context.database, store=context.store, grace=timedelta(hours=1), now=after_expiry
    )
    assert report.expired_uploads_removed == 1
    assert stored_tokens(app) == set()
    assert client.get(f"/api/v1/uploads/{upload['id']}", headers=key.headers).status_code == 404


def test_the_sweeper_thread_is_off_at_interval_zero(app: FastAPI) -> None:
    context = app.state.limner
    sweeper = StorageSweeper(
        database=context.database, store=context.store, interval_s=0, grace_s=0
    )
    sweeper.start()
    assert sweeper._thread is None
    orphan = new_image_token()
    context.store.put(orphan, b"x", "image/png")
    assert sweeper.sweep().orphans_removed == 1  # a sweep by hand still works
    sweeper.stop()


@pytest.mark.postgres
def test_uploads_expire_and_orphans_go_on_postgres(
    settings_factory: Callable[..., Settings], postgres_url: str
) -> None:
    from limner.api import create_app
    from limner.keys import create_key

    app = create_app(settings_factory(database_url=postgres_url))
    context = app.state.limner
    with context.database.transaction() as session:
        issued = create_key(session=session)
    key = Key(issued.key, issued.prefix, issued.account_id)
    with TestClient(app) as client:
        upload = client.post(
            "/api/v1/uploads", files={"file": ("p.png", png(), "image/png")}, headers=key.headers
        ).json()
        orphan = new_image_token()
        context.store.put(orphan, b"x", "image/png")
        report = sweep_storage(
            database=context.database,
            store=context.store,
            grace=timedelta(hours=1),
            now=utcnow() + timedelta(hours=25),
        )
        assert (report.orphans_removed, report.expired_uploads_removed) == (1, 1)
        assert client.get(f"/api/v1/uploads/{upload['id']}", headers=key.headers).status_code == 404
    assert stored_tokens(app) == set()


def test_the_grace_outlasts_the_longest_generation(
    settings_factory: Callable[..., Settings],
) -> None:
    from pydantic import ValidationError

    assert settings_factory().resolved_sweep_grace_s == 3600
    slow = settings_factory(generation_timeout_s=600)
    assert slow.resolved_sweep_grace_s == 600 * 8
    assert settings_factory(storage_sweep_grace_s=7200).resolved_sweep_grace_s == 7200
    with pytest.raises(ValidationError, match="storage_sweep_grace_s"):
        settings_factory(storage_sweep_grace_s=60)
