"""POST /api/v1/generate through HTTP: the v1 contract's fields, defaults and error codes."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}


def account(client: TestClient, key: Key) -> dict:
    response = client.get("/api/v1/account", headers=key.headers)
    assert response.status_code == 200
    return response.json()


def test_success_has_the_contract_fields_and_a_real_image(client: TestClient, key: Key) -> None:
    response = client.post("/api/v1/generate", json=GOOD, headers=key.headers)
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"gen_[a-z2-7]{16}", body["id"])
    assert body["status"] == "completed"
    assert body["type"] == "t2i"
    assert body["credits_used"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    assert body["quality"] == "fast" and body["style"] == "realistic"  # the defaults
    assert body["image_url"].startswith("http://testserver/generations/")

    image = client.get(body["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (512, 512)


def test_hires_costs_two_and_is_larger(client: TestClient, make_key) -> None:
    key = make_key(credits=0)
    response = client.post(
        "/api/v1/generate", json={**GOOD, "quality": "hires"}, headers=key.headers
    )
    assert response.status_code == 200
    assert response.json()["credits_used"] == 2
    assert account(client, key)["credits_available"] == 3
    image = client.get(response.json()["image_url"])
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)


def test_public_url_is_the_base_of_image_urls(settings_factory, tmp_path) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(public_url="https://images.example.test/base/"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        body = client.post(
            "/api/v1/generate", json=GOOD, headers={"Authorization": f"Bearer {issued.key}"}
        ).json()
    assert body["image_url"].startswith("https://images.example.test/base/generations/")


def test_adult_style_with_traits_and_caption(client: TestClient, key: Key) -> None:
    body = {
        "prompt": "a selfie on a sunny balcony",
        "style": "nude",
        "appearance": {
            "gender": "female",
            "age": 30,
            "hair_color": "auburn",
            "ethnicity": "mixed",
            "body_type": "athletic",
        },
        "snap_caption": {"text": "sunday mood", "position": "top"},
    }
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 200, response.json()
    assert response.json()["style"] == "nude"


def test_seed_makes_the_placeholder_reproducible(client: TestClient, key: Key) -> None:
    import numpy as np

    def pixels(seed: int) -> tuple[dict, np.ndarray]:
        body = client.post("/api/v1/generate", json={**GOOD, "seed": seed}, headers=key.headers)
        image = Image.open(io.BytesIO(client.get(body.json()["image_url"]).content))
        return body.json(), np.asarray(image.convert("RGB"), dtype=np.float64)

    (first, a), (second, b), (_, other) = pixels(7), pixels(7), pixels(8)
    assert first["seed"] == second["seed"] == 7
    # equal but for the invisible watermark, which carries each generation's own id
    assert np.abs(a - b).mean() < 1.0
    assert np.abs(a - other).mean() > 5.0


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "missing_api_key"),
        ({"Authorization": ""}, "missing_api_key"),
        ({"Authorization": "Bearer"}, "missing_api_key"),
        ({"Authorization": "Bearer lmn_00000000_" + "a" * 43}, "invalid_api_key"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_api_key"),
    ],
)
def test_authentication_errors(client: TestClient, headers: dict, code: str) -> None:
    response = client.post("/api/v1/generate", json=GOOD, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_a_revoked_key_is_invalid(client: TestClient, app, key: Key) -> None:
    from limner import keys

    with app.state.limner.database.transaction() as session:
        keys.revoke_key(session=session, prefix_or_id=key.prefix)
    response = client.post("/api/v1/generate", json=GOOD, headers=key.headers)
    assert response.status_code == 401 and response.json()["error"] == "invalid_api_key"


def test_auth_is_checked_before_the_body(client: TestClient) -> None:
    response = client.post("/api/v1/generate", content=b"{not json")
    assert response.status_code == 401 and response.json()["error"] == "missing_api_key"


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"a string"', b"42", b"", b"null", b"\xff\xfe"]
)
def test_invalid_request_for_a_body_that_is_not_a_json_object(
    client: TestClient, key: Key, raw: bytes
) -> None:
    response = client.post(
        "/api/v1/generate", content=raw, headers={**key.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": 12}, "prompt"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"prompt": "a cat", "quality": "ultra"}, "quality"),
        ({"prompt": "a cat", "style": "oil"}, "style"),
        ({"prompt": "a cat", "qualty": "fast"}, "qualty"),
        ({"prompt": "a cat", "style": "nude", "appearance": {"age": 17}}, "appearance.age"),
        ({"prompt": "a cat", "style": "nude", "appearance": {"age": 71}}, "appearance.age"),
        ({"prompt": "a cat", "style": "nude", "appearance": {"age": "30"}}, "appearance.age"),
        ({"prompt": "a cat", "style": "nude", "appearance": {"age": 30.5}}, "appearance.age"),
        (
            {"prompt": "a cat", "style": "nude", "appearance": {"gender": "robot"}},
            "appearance.gender",
        ),
        (
            {"prompt": "a cat", "style": "nude", "appearance": {"hair_color": "x" * 61}},
            "appearance.hair_color",
        ),
        (
            {"prompt": "a cat", "style": "nude", "appearance": {"height": "tall"}},
            "appearance.height",
        ),
        ({"prompt": "a cat", "style": "nude", "appearance": "tall"}, "appearance"),
        (
            {"prompt": "a cat", "style": "nude", "snap_caption": {"position": "left"}},
            "snap_caption.position",
        ),
        (
            {"prompt": "a cat", "style": "nude", "snap_caption": {"text": "x" * 101}},
            "snap_caption.text",
        ),
        (
            {"prompt": "a cat", "style": "nude", "snap_caption": {"text": "   "}},
            "snap_caption.text",
        ),
        ({"prompt": "a cat", "style": "nude", "snap_caption": "yes"}, "snap_caption"),
        ({"prompt": "a cat", "appearance": {"age": 30}}, "appearance"),
        ({"prompt": "a cat", "style": "anime", "snap_caption": True}, "snap_caption"),
        ({"prompt": "a cat", "seed": -1}, "seed"),
        ({"prompt": "a cat", "seed": "7"}, "seed"),
    ],
)
def test_validation_error_names_the_field(
    client: TestClient, key: Key, body: dict, field: str
) -> None:
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 400, response.json()
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert payload["field"] == field
    assert payload["message"]
    assert account(client, key)["credits_available"] == 5


def test_caption_false_is_accepted_in_any_style(client: TestClient, key: Key) -> None:
    response = client.post(
        "/api/v1/generate", json={**GOOD, "snap_caption": False}, headers=key.headers
    )
    assert response.status_code == 200


def test_oversized_body_is_refused(client: TestClient, key: Key) -> None:
    response = client.post(
        "/api/v1/generate",
        content=b'{"prompt": "' + b"a" * 70_000 + b'"}',
        headers={**key.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_insufficient_credits_reports_required_and_available(client: TestClient, key: Key) -> None:
    for _ in range(2):
        assert (
            client.post(
                "/api/v1/generate", json={**GOOD, "quality": "hires"}, headers=key.headers
            ).status_code
            == 200
        )
    response = client.post(
        "/api/v1/generate", json={**GOOD, "quality": "hires"}, headers=key.headers
    )
    assert response.status_code == 402
    assert response.json() == {
        "error": "insufficient_credits",
        "message": response.json()["message"],
        "credits_required": 2,
        "credits_available": 1,
    }
    assert client.post("/api/v1/generate", json=GOOD, headers=key.headers).status_code == 200
    assert account(client, key)["credits_available"] == 0


def test_content_blocked_costs_nothing_and_names_the_field(client: TestClient, key: Key) -> None:
    body = {"prompt": "a portrait on a beach", "style": "nude", "appearance": {"body_type": "teen"}}
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 403
    payload = response.json()
    assert payload["error"] == "content_blocked"
    assert payload["field"] == "appearance.body_type"
    assert "teen" not in payload["message"]  # the matched term is never echoed
    assert account(client, key)["credits_available"] == 5


def test_generation_failure_is_503_and_free(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(placeholder_failure_rate=1.0))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        response = client.post("/api/v1/generate", json=GOOD, headers=headers)
        assert response.status_code == 503
        assert response.json()["error"] == "generation_failed"
        assert response.json()["message"]
        assert client.get("/api/v1/account", headers=headers).json()["credits_available"] == 5


def test_generation_timeout_is_503_timed_out_and_free(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app
    from limner.backends.placeholder import PlaceholderBackend
    from tests.support.gated import GatedBackend

    backend = GatedBackend(PlaceholderBackend())  # shut until the timeout has answered
    app = create_app(settings_factory(generation_timeout_s=0.2), backend=backend)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        response = client.post("/api/v1/generate", json=GOOD, headers=headers)
        assert response.status_code == 503
        assert response.json() == {
            "error": "generation_failed",
            "message": "Generation timed out. Please try again.",
        }
        backend.gate.set()
        assert app.state.limner.service.runner.wait_idle(timeout=60)
        assert client.get("/api/v1/account", headers=headers).json()["credits_available"] == 5


def test_unexpected_errors_are_500_internal_error_with_headers(app, key: Key, monkeypatch) -> None:
    def explode(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.limner.service, "generate", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/generate", json=GOOD, headers=key.headers)
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "An unexpected error occurred.",
    }
    assert "x-ratelimit-remaining" in response.headers
