"""Kinds of job through HTTP: `type` absent is t2i (v1 unchanged), and the `i2i` sketch handler
on the placeholder backend runs synchronously and from the queue, added without touching the
route, the queue, the ledger or recovery (issue 9)."""

from __future__ import annotations

import base64
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner.generation.kinds import KINDS
from limner.generation.kinds.i2i import ImageToImageRequest
from tests.conftest import Key, KeyFactory
from tests.support.events import wait_finished

PROMPT = "a lighthouse at dusk"


def png_data_url(size: tuple[int, int] = (48, 32)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def i2i(**extra: object) -> dict[str, object]:
    return {"prompt": PROMPT, "type": "i2i", "image": png_data_url(), **extra}


def available(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(credits=20)


def test_the_registry_names_each_kind_once() -> None:
    assert list(KINDS) == ["t2i", "i2i", "inpaint", "outpaint", "t2v", "i2v"]
    assert all(name == kind.name == kind.capability for name, kind in KINDS.items())
    assert KINDS["i2i"].request_model is ImageToImageRequest
    assert KINDS["i2i"].takes_user_image and not KINDS["t2i"].takes_user_image
    assert KINDS["i2v"].takes_user_image and not KINDS["t2v"].takes_user_image
    assert KINDS["t2v"].media_out == KINDS["i2v"].media_out == "video/mp4"


@pytest.mark.parametrize("body", [{"prompt": PROMPT}, {"prompt": PROMPT, "type": "t2i"}])
def test_type_absent_or_t2i_is_text_to_image(client: TestClient, funded: Key, body: dict) -> None:
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "t2i"
    stored = client.get(f"/api/v1/generations/{response.json()['id']}", headers=funded.headers)
    assert stored.json()["type"] == "t2i"


def test_i2i_makes_an_image_from_the_input_and_charges_like_t2i(
    client: TestClient, funded: Key
) -> None:
    before = available(client, funded)
    response = client.post(
        "/api/v1/generate", json=i2i(quality="hires", strength=0.3), headers=funded.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "i2i" and body["status"] == "completed"
    assert body["credits_used"] == 2
    assert available(client, funded) == before - 2
    picture = Image.open(io.BytesIO(client.get(body["image_url"]).content))
    assert picture.size == (48, 32)  # the input's size
    # a low strength keeps the input's green
    red, green, blue = picture.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert green > red and green > blue


def test_an_async_i2i_job_runs_from_the_queue(client: TestClient, funded: Key) -> None:
    queued = client.post("/api/v1/generate", json=i2i(**{"async": True}), headers=funded.headers)
    assert queued.status_code == 202, queued.text
    assert queued.json()["type"] == "i2i"
    body = wait_finished(client, queued.json()["id"], funded.headers)
    assert body["status"] == "completed" and body["type"] == "i2i", body
    assert body["credits_used"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": PROMPT, "type": "video"}, "type"),
        ({"prompt": PROMPT, "type": 2}, "type"),
        ({"prompt": PROMPT, "type": "i2i"}, "image"),
        (i2i(image="https://example.test/a.png"), "image"),
        (i2i(image="data:image/png;base64,not-base64!"), "image"),
        (i2i(image="data:image/png;base64," + base64.b64encode(b"GIF89a").decode()), "image"),
        (i2i(strength=0), "strength"),
        (i2i(strength=1.5), "strength"),
        (i2i(strength=True), "strength"),
        ({"prompt": PROMPT, "image": png_data_url()}, "image"),  # t2i takes no picture
    ],
)
def test_wrong_fields_are_validation_errors_and_free(
    client: TestClient, funded: Key, body: dict, field: str
) -> None:
    before = available(client, funded)
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == field
    assert available(client, funded) == before


def test_the_adult_style_never_takes_a_picture(client: TestClient, funded: Key) -> None:
    response = client.post("/api/v1/generate", json=i2i(style="nude"), headers=funded.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "content_blocked"
    assert response.json()["field"] == "image"
