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


def png_data_url(
    size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 160, 90)
) -> str:
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
        {
            "prompt": PROMPT,
            "type": "i2v",
            "image": png_data_url(),
            "duration_s": 1,
            "quality": "hires",
        },
    )
    body = wait_finished(client, queued["id"], funded.headers)
    assert body["status"] == "completed", body
    assert body["type"] == "i2v" and body["credits_used"] == 4
    assert available(client, funded) == before - 4
    poster = Image.open(io.BytesIO(client.get(body["poster_url"]).content)).convert("RGB")
    red, green, blue = poster.resize((1, 1)).getpixel((0, 0))
    assert green > red and green > blue  # the input's green


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"duration_s": 0}, "duration_s"),
        ({"duration_s": 11}, "duration_s"),
        ({"duration_s": 2.5}, "duration_s"),
        ({"duration_s": "4"}, "duration_s"),
        ({"fps": 0}, "fps"),
        ({"fps": 31}, "fps"),
        ({"fps": 30, "duration_s": 10}, "fps"),  # 300 frames: over the frame cap
        ({"width": 100, "height": 64}, "width"),
        ({"width": 2048, "height": 2048}, "width"),  # over the pixel cap
        ({"width": 256}, "height"),
        ({"n": 1}, "n"),
        ({"n": 2}, "n"),
        ({"image": "data:image/png;base64,AAAA"}, "image"),  # t2v takes no picture
    ],
)
def test_wrong_video_fields_are_400_naming_the_field_and_free(
    client: TestClient, funded: Key, extra: dict[str, Any], field: str
) -> None:
    before = available(client, funded)
    response = client.post(
        "/api/v1/generate", json={"prompt": PROMPT, "type": "t2v", **extra}, headers=funded.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == field
    assert available(client, funded) == before


def test_i2v_needs_an_image(client: TestClient, funded: Key) -> None:
    response = client.post(
        "/api/v1/generate", json={"prompt": PROMPT, "type": "i2v"}, headers=funded.headers
    )
    assert response.status_code == 400 and response.json()["field"] == "image"


def test_the_frame_cap_is_the_operators(settings_factory: Any, make_key: Any) -> None:
    from limner.api import create_app

    with TestClient(create_app(settings_factory(video_max_frames=16))) as client:
        database = client.app.state.limner.database  # type: ignore[attr-defined]
        from limner import keys, ledger

        with database.transaction() as session:
            issued = keys.create_key(session=session, plan="free")
            ledger.grant(session=session, account_id=issued.account_id, amount=10)
        headers = {"Authorization": f"Bearer {issued.key}"}
        over = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 3, "fps": 6},
            headers=headers,
        )
        assert over.status_code == 400 and over.json()["field"] == "fps"
        within = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 2, "fps": 8},
            headers=headers,
        )
        assert within.status_code == 202, within.text


def test_the_price_per_second_is_the_operators(settings_factory: Any) -> None:
    from limner import keys, ledger
    from limner.api import create_app

    settings = settings_factory(video_credits_per_second_fast=3, free_daily_credits=0)
    with TestClient(create_app(settings)) as client:
        database = client.app.state.limner.database  # type: ignore[attr-defined]
        with database.transaction() as session:
            issued = keys.create_key(session=session, plan="free")
            ledger.grant(session=session, account_id=issued.account_id, amount=5)
        headers = {"Authorization": f"Bearer {issued.key}"}
        # 2 s x 3 credits = 6 > 5: refused before anything runs, nothing held
        short = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 2},
            headers=headers,
        )
        assert short.status_code == 402, short.text
        assert short.json()["credits_required"] == 6
        one = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 1},
            headers=headers,
        )
        assert one.status_code == 202
        assert wait_finished(client, one.json()["id"], headers)["credits_used"] == 3


def test_the_adult_style_refuses_an_uploaded_i2v_image(client: TestClient, funded: Key) -> None:
    upload = client.post(
        "/api/v1/uploads",
        content=base64.b64decode(png_data_url().split(",", 1)[1]),
        headers={**funded.headers, "Content-Type": "image/png"},
    )
    assert upload.status_code in (200, 201), upload.text
    before = available(client, funded)
    for image in (upload.json()["id"], png_data_url()):
        response = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "i2v", "style": "nude", "image": image},
            headers=funded.headers,
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "content_blocked"
        assert response.json()["field"] == "image"
    assert available(client, funded) == before
    from sqlalchemy import select

    from limner.db.tables import ModerationEvent

    with client.app.state.limner.database.read() as session:  # type: ignore[attr-defined]
        recorded = session.scalars(
            select(ModerationEvent).where(ModerationEvent.field == "image")
        ).all()
    assert len(recorded) == 2 and {event.style for event in recorded} == {"nude"}


def test_a_video_prompt_is_moderated_like_an_image_prompt(client: TestClient, funded: Key) -> None:
    before = available(client, funded)
    response = client.post(
        "/api/v1/generate",
        json={"prompt": "a child at the beach", "type": "t2v", "style": "nude"},
        headers=funded.headers,
    )
    assert response.status_code == 403 and response.json()["field"] == "prompt"
    assert available(client, funded) == before


def test_idempotency_key_replays_a_video_without_a_second_charge(
    client: TestClient, funded: Key
) -> None:
    before = available(client, funded)
    body = {"prompt": PROMPT, "type": "t2v", "duration_s": 1}
    headers = {**funded.headers, "Idempotency-Key": "video-1"}
    first = client.post("/api/v1/generate", json=body, headers=headers)
    again = client.post("/api/v1/generate", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert wait_finished(client, first.json()["id"], funded.headers)["status"] == "completed"
    assert available(client, funded) == before - 2


def test_cancel_mid_video_releases_the_credits(settings_factory: Any) -> None:
    from sqlalchemy import func, select

    from limner import keys, ledger
    from limner.api import create_app
    from limner.backends.placeholder import PlaceholderBackend
    from limner.db.tables import Reservation
    from tests.support.gated import GATE_LIMIT_S, SteppedBackend

    # the backend holds after step 1 until the job is canceled: only a working cancel ends it
    backend = SteppedBackend(PlaceholderBackend(), wait_for_cancel=True)
    app = create_app(settings_factory(free_daily_credits=0), backend=backend)
    with TestClient(app) as client:
        database = app.state.limner.database
        with database.transaction() as session:
            issued = keys.create_key(session=session, plan="free")
            ledger.grant(session=session, account_id=issued.account_id, amount=10)
        headers = {"Authorization": f"Bearer {issued.key}"}
        job = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 3},
            headers=headers,
        )
        assert job.status_code == 202
        assert backend.at_step_1.wait(GATE_LIMIT_S)
        running = client.get(f"/api/v1/generations/{job.json()['id']}", headers=headers).json()
        assert running["status"] == "running" and running["progress"]["step"] == 1
        assert client.get("/api/v1/account", headers=headers).json()["credits_available"] == 4
        canceled = client.post(f"/api/v1/generations/{job.json()['id']}/cancel", headers=headers)
        assert canceled.status_code == 200, canceled.text
        body = wait_finished(client, job.json()["id"], headers)
        assert body["status"] == "canceled" and body["credits_used"] == 0
        assert "video_url" not in body
        assert backend.finished_images == 0
        assert client.get("/api/v1/account", headers=headers).json()["credits_available"] == 10
        with database.read() as session:
            open_holds = session.scalar(
                select(func.count()).select_from(Reservation).where(Reservation.status == "open")
            )
        assert open_holds == 0


def test_the_openapi_schema_documents_videos(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert {"duration_s", "fps", "width", "height"} <= set(components["VideoRequest"]["properties"])
    # `type` is required on every body but t2i's (the v1 contract's)
    assert components["ImageToVideoRequest"]["required"] == ["type", "prompt", "image"]
    assert components["VideoRequest"]["properties"]["type"]["enum"] == ["t2v"]
    generation = components["GenerationPublic"]["properties"]
    assert {"video_url", "poster_url", "duration_s", "fps", "frames", "width", "height"} <= set(
        generation
    )
    served = schema["paths"]["/generations/{filename}"]["get"]["responses"]
    assert "video/mp4" in served["206"]["content"] and "416" in served
