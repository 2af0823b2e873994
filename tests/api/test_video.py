"""Videos through HTTP on the placeholder backend (issue 12): `t2v` and `i2v` are always queued
(202), run to an MP4 that decodes to the asked frames, size and rate, with a poster, served with
range requests, charged per second on success only, and named by `verify`."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner.media.video import probe
from tests.conftest import Key, KeyFactory
from tests.support.events import wait_finished

PROMPT = "a lighthouse at dusk"


def png_data_url(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 160, 90)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def available(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(credits=40)


def submit(client: TestClient, key: Key, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 202, response.text
    return response.json()


def test_t2v_is_queued_and_makes_a_playable_mp4_with_a_poster(
    client: TestClient, funded: Key
) -> None:
    before = available(client, funded)
    queued = submit(
        client, funded, {"prompt": PROMPT, "type": "t2v", "duration_s": 2, "fps": 6, "seed": 7}
    )
    assert queued["type"] == "t2v" and queued["status"] in ("queued", "running")
    # reserved at submit: 2 s x 2 credits
    assert available(client, funded) == before - 4
    body = wait_finished(client, queued["id"], funded.headers)
    assert body["status"] == "completed", body
    assert body["credits_used"] == 4
    assert available(client, funded) == before - 4
    assert (body["fps"], body["frames"], body["duration_s"]) == (6, 12, 2)
    assert (body["width"], body["height"]) == (256, 160)
    assert body["image_url"] == body["poster_url"] and "images" not in body

    video = client.get(body["video_url"])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.headers["accept-ranges"] == "bytes"
    info = probe(video.content)
    assert (info.frames, info.fps, info.width, info.height) == (12, 6.0, 256, 160)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    # faststart: the index (moov) comes before the media data (mdat)
    assert 0 < video.content.find(b"moov") < video.content.find(b"mdat")

    poster = client.get(body["poster_url"])
    assert poster.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(poster.content)).size == (256, 160)


def test_a_served_video_answers_range_requests(client: TestClient, funded: Key) -> None:
    queued = submit(client, funded, {"prompt": PROMPT, "type": "t2v", "duration_s": 1})
    body = wait_finished(client, queued["id"], funded.headers)
    whole = client.get(body["video_url"]).content
    size = len(whole)

    first = client.get(body["video_url"], headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.content == whole[:100]

    rest = client.get(body["video_url"], headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and rest.content == whole[100:]

    tail = client.get(body["video_url"], headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]

    past = client.get(body["video_url"], headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    assert past.json()["error"] == "range_not_satisfiable"


def test_verify_names_the_generation_of_a_video(client: TestClient, funded: Key) -> None:
    queued = submit(client, funded, {"prompt": PROMPT, "type": "t2v", "duration_s": 1})
    body = wait_finished(client, queued["id"], funded.headers)
    video = client.get(body["video_url"]).content
    verified = client.post(
        "/api/v1/verify",
        content=video,
        headers={**funded.headers, "Content-Type": "application/octet-stream"},
    )
    assert verified.status_code == 200, verified.text
    result = verified.json()
    assert result["format"] == "MP4"
    assert result["generation_id"] == body["id"]
    assert result["from_this_server"] is True and result["c2pa_valid"] is True


def test_i2v_starts_from_the_image(client: TestClient, funded: Key) -> None:
    before = available(client, funded)
    queued = submit(
        client,
        funded,
        {"prompt": PROMPT, "type": "i2v", "image": png_data_url(), "duration_s": 1, "quality": "hires"},
    )
    body = wait_finished(client, queued["id"], funded.headers)
    assert body["status"] == "completed", body
    assert body["type"] == "i2v" and body["credits_used"] == 4
    assert available(client, funded) == before - 4
    poster = Image.open(io.BytesIO(client.get(body["poster_url"]).content)).convert("RGB")
    red, green, blue = poster.resize((1, 1)).getpixel((0, 0))
    assert green > red and green > blue  # the input's green
