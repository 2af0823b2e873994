"""Reading generations back, and serving their images safely."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}


def test_owner_reads_a_generation_and_others_get_404(client: TestClient, make_key) -> None:
    owner, stranger = make_key(), make_key()
    created = client.post("/api/v1/generate", json=GOOD, headers=owner.headers).json()
    mine = client.get(f"/api/v1/generations/{created['id']}", headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json() == created
    theirs = client.get(f"/api/v1/generations/{created['id']}", headers=stranger.headers)
    unknown = client.get("/api/v1/generations/gen_aaaaaaaaaaaaaaaa", headers=stranger.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"] == "not_found"
    assert theirs.json()["message"] == unknown.json()["message"].replace(
        "gen_aaaaaaaaaaaaaaaa", created["id"]
    )


def test_failed_generation_is_recorded_as_failed_and_uncharged(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(placeholder_failure_rate=1.0))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/generate", json=GOOD, headers={"Authorization": f"Bearer {issued.key}"}
        )
        assert response.status_code == 503
    from sqlalchemy import select

    from limner.db.tables import Generation

    with app.state.limner.database.transaction() as session:
        generation = session.scalars(select(Generation)).one()
        assert generation.status == "failed"
        assert generation.credits_used == 0
        assert generation.error_code == "generation_failed"


@pytest.mark.parametrize(
    "path",
    [
        "/generations/..%2F..%2Flimner.db",
        "/generations/../limner.db",
        "/generations/%2e%2e%2flimner.db",
        "/generations/" + "A" * 43 + ".png",
        "/generations/" + "A" * 43,
        "/generations/limner.db",
        "/generations/..%5C..%5Climner.db",
    ],
)
def test_image_paths_cannot_escape_or_be_guessed(client: TestClient, key: Key, path: str) -> None:
    client.post("/api/v1/generate", json=GOOD, headers=key.headers)
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_image_extension_must_match(client: TestClient, key: Key) -> None:
    url = client.post("/api/v1/generate", json=GOOD, headers=key.headers).json()["image_url"]
    assert client.get(url).status_code == 200
    assert client.get(url.replace(".png", ".jpg")).status_code == 404
    assert client.get(url.replace(".png", ".png.png")).status_code == 404


def test_image_response_headers(client: TestClient, key: Key) -> None:
    url = client.post("/api/v1/generate", json=GOOD, headers=key.headers).json()["image_url"]
    response = client.get(url)
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in response.headers["cache-control"]
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "storage": "ok",
        "backend": "ok",
        "rate_limits": "ok",
        "screening": "ok",
    }


def test_readiness_fails_when_storage_is_gone(client: TestClient, app) -> None:
    import shutil

    shutil.rmtree(app.state.limner.store.root)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["storage"] == "failed"
