"""`width` and `height` (studio spec): any multiple of 8 within the preset's native pixel count,
at the same price; more pixels, or off the grid, is `400 validation_error` naming the field."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import KeyFactory

PROMPT = "a lighthouse at dusk"


def image_size(client: TestClient, url: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(client.get(url).content)).size


def test_a_smaller_or_reshaped_size_is_made_at_the_same_price(
    client: TestClient, make_key: KeyFactory
) -> None:
    key = make_key(credits=10)
    wide = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "width": 640, "height": 384},
        headers=key.headers,
    )
    assert wide.status_code == 200, wide.text
    assert wide.json()["credits_used"] == 1
    assert image_size(client, wide.json()["image_url"]) == (640, 384)
    # one side given: the other is the preset's (fast: 512)
    tall = client.post(
        "/api/v1/generate", json={"prompt": PROMPT, "height": 320}, headers=key.headers
    )
    assert image_size(client, tall.json()["image_url"]) == (512, 320)
    native = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=key.headers)
    assert image_size(client, native.json()["image_url"]) == (512, 512)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"width": 1024, "height": 1024}, "width"),  # more pixels than fast's 512x512
        ({"height": 1024}, "height"),
        ({"width": 500}, "width"),  # off the grid of 8
        ({"width": 24}, "width"),
        ({"height": "512"}, "height"),
    ],
)
def test_a_size_off_the_grid_or_over_the_preset_is_refused(
    client: TestClient, make_key: KeyFactory, extra: dict[str, object], field: str
) -> None:
    key = make_key(credits=10)
    response = client.post(
        "/api/v1/generate", json={"prompt": PROMPT, **extra}, headers=key.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == field
    account = client.get("/api/v1/account", headers=key.headers).json()
    assert account["credits_available"] == 15  # 5 daily + 10 granted: nothing held or charged


def test_hires_allows_its_own_larger_budget(client: TestClient, make_key: KeyFactory) -> None:
    key = make_key(credits=10)
    response = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "quality": "hires", "width": 1216, "height": 832},
        headers=key.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["credits_used"] == 2
    assert image_size(client, response.json()["image_url"]) == (1216, 832)
