"""Videos with the real diffusers code: HTTP -> plan -> a tiny random-weight LTX-Video pipeline
(built and saved by the test, diffusers' own dummy shapes) -> sampled-frame screening ->
watermark + MP4 + C2PA -> URL. `t2v` through `LTXPipeline`, `i2v` through the
`LTXImageToVideoPipeline` made from it with `from_pipe`."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner import keys, ledger
from limner.api import create_app
from limner.backends.diffusers.video import frames_for
from limner.config import Settings
from limner.media.video import probe
from tests.support.cli import cli_env, run_cli
from tests.support.events import wait_finished
from tests.support.tiny_pipelines import build_tiny_sd, build_tiny_sdxl
from tests.support.tiny_video import (
    TINY_VIDEO_FPS,
    TINY_VIDEO_SIZE,
    build_tiny_ltx,
    write_video_models_toml,
)

PROMPT = "a lighthouse at dusk"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    return write_video_models_toml(
        root / "models.toml",
        build_tiny_sd(root / "sd"),
        build_tiny_sdxl(root / "sdxl"),
        build_tiny_ltx(root / "ltx"),
    )


@pytest.fixture
def served(tmp_path: Path, models: Path) -> Iterator[tuple[TestClient, dict[str, str], Settings]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        public_url="http://testserver",
        free_daily_credits=0,
    )  # type: ignore[call-arg]
    app = create_app(settings)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=20)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {issued.key}"}, settings


def check_video(client: TestClient, body: dict[str, Any]) -> bytes:
    # 1 s at 8 fps, as the tiny model makes it (k x 4 + 1 frames): 9
    frames = frames_for(1, TINY_VIDEO_FPS, 4)
    assert (body["fps"], body["frames"]) == (TINY_VIDEO_FPS, frames)
    assert (body["width"], body["height"]) == (TINY_VIDEO_SIZE, TINY_VIDEO_SIZE)
    video = client.get(body["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    info = probe(video.content)
    assert (info.frames, info.fps) == (frames, TINY_VIDEO_FPS)
    assert (info.width, info.height) == (TINY_VIDEO_SIZE, TINY_VIDEO_SIZE)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    poster = client.get(body["poster_url"])
    assert poster.status_code == 200
    assert Image.open(io.BytesIO(poster.content)).size == (TINY_VIDEO_SIZE, TINY_VIDEO_SIZE)
    part = client.get(body["video_url"], headers={"Range": "bytes=0-63"})
    assert part.status_code == 206 and part.content == video.content[:64]
    return video.content


def test_t2v_with_a_tiny_ltx_pipeline(
    served: tuple[TestClient, dict[str, str], Settings], tmp_path: Path
) -> None:
    client, headers, settings = served
    queued = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "t2v", "duration_s": 1, "seed": 3},
        headers=headers,
    )
    assert queued.status_code == 202, queued.text
    body = wait_finished(client, queued.json()["id"], headers)
    assert body["status"] == "completed", body
    assert body["credits_used"] == 2
    video = check_video(client, body)

    verified = client.post("/api/v1/verify", content=video, headers=headers).json()
    assert verified["generation_id"] == body["id"] and verified["from_this_server"] is True

    # `limner verify clip.mp4` names it too
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video)
    result = run_cli("verify", str(clip), env=cli_env(settings.data_dir))
    assert result.returncode == 0, result.stderr
    assert body["id"] in result.stdout


def test_i2v_with_a_tiny_ltx_pipeline(served: tuple[TestClient, dict[str, str], Settings]) -> None:
    client, headers, _settings = served
    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), (20, 180, 60)).save(buffer, format="PNG")
    image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    queued = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "i2v", "image": image, "duration_s": 1},
        headers=headers,
    )
    assert queued.status_code == 202, queued.text
    body = wait_finished(client, queued.json()["id"], headers)
    assert body["status"] == "completed", body
    assert body["type"] == "i2v" and body["credits_used"] == 2
    check_video(client, body)


def test_the_adult_style_makes_no_video_without_the_operators_model(
    served: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, headers, _settings = served
    response = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "t2v", "style": "nude"},
        headers=headers,
    )
    assert response.status_code == 503, response.text
    assert client.get("/api/v1/account", headers=headers).json()["credits_available"] == 20
