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


def test_verify_accepts_the_image_as_a_multipart_field(client: TestClient, key: Key) -> None:
    body, data = generate(client, key)
    response = client.post(
        "/api/v1/verify", files={"image": ("x.png", data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["generation_id"] == body["id"]
    assert response.json()["from_this_server"] is True


def test_multipart_without_an_image_field_names_the_field(client: TestClient, key: Key) -> None:
    _, data = generate(client, key)
    for parts in ({"file": ("x.png", data, "image/png")}, {"image": (None, "text, not a file")}):
        response = client.post("/api/v1/verify", files=parts, headers=key.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "validation_error"
        assert response.json()["field"] == "image"
        assert "-F image=@" in response.json()["message"]


def test_a_malformed_multipart_body_is_400_invalid_request(client: TestClient, key: Key) -> None:
    response = client.post(
        "/api/v1/verify",
        content=b"--nope\r\nContent-Disposition: form-data\r\n\r\n",
        headers={**key.headers, "Content-Type": "multipart/form-data"},  # no boundary
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_error_messages_carry_no_python_repr(client: TestClient, key: Key) -> None:
    for request in (
        {"content": b"not an image"},
        {"files": {"image": ("x.png", b"not an image", "image/png")}},
    ):
        response = client.post("/api/v1/verify", headers=key.headers, **request)
        assert response.status_code == 400
        message = response.json()["message"]
        assert "<" not in message and "object at 0x" not in message and "BytesIO" not in message
        assert response.json()["field"] == "image"


def test_a_multipart_image_over_the_limit_is_413(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(max_image_bytes=2048))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        for size in (5000, 40_000):  # within the framing allowance, and past it
            response = client.post(
                "/api/v1/verify",
                files={"image": ("x.png", b"\x89PNG" + b"0" * size, "image/png")},
                headers={"Authorization": f"Bearer {issued.key}"},
            )
            assert response.status_code == 413, size
