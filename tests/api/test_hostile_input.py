"""Bodies a hostile client sends: each gets the contract's 400, never a 500 and never a charge."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}


def credits(client: TestClient, key: Key) -> int:
    return client.get("/api/v1/account", headers=key.headers).json()["credits_available"]


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_deep_nesting_is_400_invalid_request(client: TestClient, key: Key, opening, closing):
    for depth in (100, 1_000, 10_000):  # 10,000: still under the body limit
        body = opening * depth + "1" + closing * depth
        response = client.post("/api/v1/generate", content=body.encode(), headers=key.headers)
        assert response.status_code == 400, depth
        assert response.json()["error"] == "invalid_request"


def test_nesting_inside_a_field_is_refused_too(client: TestClient, key: Key) -> None:
    nested = "[" * 900 + "]" * 900
    body = '{"prompt": "a lighthouse at dusk", "style": "nude", "appearance": {"hair_color": '
    body += nested + "}}"
    response = client.post("/api/v1/generate", content=body.encode(), headers=key.headers)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert credits(client, key) == 5


@pytest.mark.parametrize("digits", [41, 4_301, 60_000])
def test_a_seed_of_many_digits_is_a_validation_error(client: TestClient, key: Key, digits) -> None:
    for sign in ("", "-"):
        body = '{"prompt": "a lighthouse at dusk", "seed": ' + sign + "9" * digits + "}"
        response = client.post("/api/v1/generate", content=body.encode(), headers=key.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "validation_error"
        assert response.json()["field"] == "seed"
    assert credits(client, key) == 5


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"])
def test_non_utf8_bodies_are_400_and_free(client: TestClient, key: Key, encoding: str) -> None:
    body = json.dumps({"prompt": "a lighthouse at dusk, café"}, ensure_ascii=False)
    response = client.post("/api/v1/generate", content=body.encode(encoding), headers=key.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "UTF-8" in response.json()["message"]
    assert credits(client, key) == 5


def test_utf8_with_or_without_a_byte_order_mark_is_accepted(client: TestClient, key: Key) -> None:
    body = json.dumps({"prompt": "a lighthouse at dusk, café"}, ensure_ascii=False)
    for raw in (body.encode(), b"\xef\xbb\xbf" + body.encode()):
        response = client.post("/api/v1/generate", content=raw, headers=key.headers)
        assert response.status_code == 200, response.text
