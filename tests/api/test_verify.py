"""Provenance through the API: every output verifies, and which generation made it is known."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Key


def generate(client: TestClient, key: Key, **extra: object) -> tuple[dict, bytes]:
    body = client.post(
        "/api/v1/generate", json={"prompt": "a lighthouse at dusk", **extra}, headers=key.headers
    ).json()
    return body, client.get(body["image_url"]).content


def verify(client: TestClient, key: Key, data: bytes, media: str = "image/png") -> dict:
    response = client.post(
        "/api/v1/verify", content=data, headers={**key.headers, "Content-Type": media}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_generated_image_verifies_with_its_generation(client: TestClient, key: Key) -> None:
    body, data = generate(client, key)
    result = verify(client, key, data)
    assert result["from_this_server"] is True
    assert result["generation_id"] == body["id"]
    assert result["metadata_matches_watermark"] is True
    assert result["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert result["ai_generated"] is True
    assert result["c2pa_valid"] is True and result["c2pa_trusted"] is True
    assert result["placeholder"] is True


def test_watermark_survives_stripping_jpeg_and_resize(client: TestClient, key: Key) -> None:
    body, data = generate(client, key, style="anime")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((384, 384))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)  # no metadata carried over
    result = verify(client, key, buffer.getvalue(), "image/jpeg")
    assert result["generation_id"] == body["id"]
    assert result["from_this_server"] is True
    assert result["metadata_generation_id"] is None


def test_a_captioned_adult_style_image_verifies(client: TestClient, key: Key) -> None:
    body, data = generate(
        client, key, style="nude", snap_caption=True, appearance={"gender": "male", "age": 40}
    )
    assert verify(client, key, data)["generation_id"] == body["id"]


def test_an_unmarked_image_does_not_verify(client: TestClient, key: Key) -> None:
    rng = np.random.default_rng(3)
    noise = Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    result = verify(client, key, buffer.getvalue())
    assert result["from_this_server"] is False
    assert result["watermark_found"] is False
    assert result["generation_id"] is None


def test_verify_refuses_non_images_and_needs_a_key(client: TestClient, key: Key) -> None:
    bad = client.post("/api/v1/verify", content=b"not an image", headers=key.headers)
    assert bad.status_code == 400
    assert bad.json()["error"] == "validation_error" and bad.json()["field"] == "image"
    assert client.post("/api/v1/verify", content=b"x").json()["error"] == "missing_api_key"


def test_verify_has_a_size_limit(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(max_image_bytes=2048))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/verify",
            content=b"\x89PNG" + b"0" * 5000,
            headers={"Authorization": f"Bearer {issued.key}"},
        )
    assert response.status_code == 413
