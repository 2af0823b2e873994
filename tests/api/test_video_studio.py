"""Videos beside the integration's features (the merge of the video branch): an i2v still is a
C2PA ingredient of the MP4, a video's width/height are its frame size (not an image size), a
character holds across videos by its description and seed, `output_format` is for stills, the
stamping processes leave videos to the worker's thread, and videos are never batched."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner import keys, ledger
from limner.api import create_app
from limner.backends.base import GenerationSpec
from limner.backends.placeholder import PlaceholderBackend
from limner.domain.styles import Quality, Style
from limner.media.video import probe
from limner.provenance import verify
from tests.conftest import Key, KeyFactory
from tests.support.events import wait_finished

PROMPT = "a lighthouse at dusk"
PARENT_OF = "parentOf"


def png_data_url(size: tuple[int, int] = (64, 48)) -> str:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (30, 160, 90))
    image.paste((200, 40, 40), (0, 0, size[0] // 2, size[1] // 2))  # not flat: a palette
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(plan="pro", credits=60)


def finished_video(client: TestClient, key: Key, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 202, response.text
    done = wait_finished(client, response.json()["id"], key.headers)
    assert done["status"] == "completed", done
    return done


def test_an_i2v_still_is_the_parent_ingredient_of_the_mp4(client: TestClient, funded: Key) -> None:
    body = finished_video(
        client, funded, {"prompt": PROMPT, "type": "i2v", "image": png_data_url(), "duration_s": 1}
    )
    video = client.get(body["video_url"]).content
    verified = client.post(
        "/api/v1/verify",
        content=video,
        headers={**funded.headers, "Content-Type": "application/octet-stream"},
    ).json()
    assert verified["generation_id"] == body["id"] and verified["c2pa_valid"] is True
    assert verified["made_from_input"] is True
    assert verified["ingredients"] == [PARENT_OF]
    # the poster carries the same record
    poster = client.get(body["poster_url"]).content
    assert verify(poster).ingredients == (PARENT_OF,)


def test_a_t2v_has_no_ingredients(client: TestClient, funded: Key) -> None:
    body = finished_video(client, funded, {"prompt": PROMPT, "type": "t2v", "duration_s": 1})
    found = verify(client.get(body["video_url"]).content)
    assert found.ingredients == () and not found.made_from_input


def test_an_i2v_width_and_height_are_its_frame_size(client: TestClient, funded: Key) -> None:
    # an image-input image kind refuses width/height (its answer is the input's size); a video
    # kind's are the frame size, within the video caps
    body = finished_video(
        client,
        funded,
        {
            "prompt": PROMPT,
            "type": "i2v",
            "image": png_data_url(),
            "duration_s": 1,
            "fps": 4,
            "width": 128,
            "height": 96,
        },
    )
    assert (body["width"], body["height"]) == (128, 96)
    info = probe(client.get(body["video_url"]).content)
    assert (info.width, info.height, info.frames) == (128, 96, 4)


def test_a_t2v_frame_size_is_not_held_to_the_image_preset(client: TestClient, funded: Key) -> None:
    # 1280x704 is over the placeholder's fast image preset (512x512) but within the video cap
    body = finished_video(
        client,
        funded,
        {"prompt": PROMPT, "type": "t2v", "duration_s": 1, "fps": 2, "width": 1280, "height": 704},
    )
    assert (body["width"], body["height"]) == (1280, 704)


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_a_video_refuses_an_output_format(client: TestClient, funded: Key, fmt: str) -> None:
    response = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "t2v", "output_format": fmt},
        headers=funded.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "output_format"


def test_a_character_holds_across_videos_by_its_seed(client: TestClient, funded: Key) -> None:
    created = client.post(
        "/api/v1/characters",
        json={
            "name": "Mara",
            "description": "a tall hiker with a red scarf",
            "references": [png_data_url()],
        },
        headers=funded.headers,
    )
    assert created.status_code == 201, created.text
    character = created.json()
    bodies = [
        finished_video(
            client,
            funded,
            {"prompt": prompt, "type": "t2v", "duration_s": 1, "character_id": character["id"]},
        )
        for prompt in (PROMPT, "a harbour in the rain")
    ]
    for body in bodies:
        assert body["character"] == {"id": character["id"], "name": "Mara"}
        # no model conditions a video on references: the description and the seed hold it
        assert body["reference_conditioning"] is False
    assert bodies[0]["seed"] == bodies[1]["seed"]


def test_a_server_with_stamping_processes_makes_videos(settings_factory: Any) -> None:
    app = create_app(settings_factory(provenance_workers=1))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, plan="free")
        ledger.grant(session=session, account_id=issued.account_id, amount=10)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:  # the lifespan starts and stops the stamping worker
        response = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "t2v", "duration_s": 1},
            headers=headers,
        )
        assert response.status_code == 202, response.text
        body = wait_finished(client, response.json()["id"], headers)
        assert body["status"] == "completed", body
        video = client.get(body["video_url"]).content
    found = verify(video, trust_anchors_pem=app.state.limner.trust_anchors_pem)
    assert found.named_id == body["id"] and found.c2pa_trusted


@pytest.mark.parametrize("kind", ["t2v", "i2v"])
def test_videos_are_never_batched(kind: str) -> None:
    backend = PlaceholderBackend()

    def spec(kind: str) -> GenerationSpec:
        return GenerationSpec(
            generation_id="gen_a",
            prompt=PROMPT,
            style=Style.realistic,
            quality=Quality.fast,
            seed=1,
            kind=kind,
        )

    assert backend.batch_key(spec("t2i")) is not None  # stills of one preset share a call
    assert backend.batch_key(spec(kind)) is None
