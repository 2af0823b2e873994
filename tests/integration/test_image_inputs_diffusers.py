"""`i2i`, `inpaint` and `outpaint` through HTTP on the real diffusers code with tiny random-weight
pipelines (SD for `fast`, SDXL for `hires`), built offline by the test: sizes, the pixels outside
the mask kept, credits, the queue, and one copy of the weights for all three tasks."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner import keys, ledger
from limner.api import create_app
from limner.backends import create_backend
from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.config import Settings
from limner.domain.styles import Quality, Style
from tests.support.gated import GATE_LIMIT_S, GatedBackend
from tests.support.receiver import receiver
from tests.support.tiny_pipelines import build_tiny_sd, build_tiny_sdxl, write_models_toml

PROMPT = "a lighthouse at dusk"
SIZE = (120, 72)


class HeldBackend(GatedBackend):
    """The diffusers backend behind a gate that is open unless a test closes it; batched calls
    (`n` > 1) wait on it too."""

    def generate_batch(
        self, specs: list[GenerationSpec], contexts: list[GenerationContext]
    ) -> list[Media | BaseException]:
        self.started.set()
        if not self.gate.wait(GATE_LIMIT_S):
            raise AssertionError("the test never opened the gate")
        made: list[Media | BaseException] = self.inner.generate_batch(specs, contexts)  # type: ignore[attr-defined]
        return made


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    root = tmp_path_factory.mktemp("inputs")
    models = write_models_toml(
        root / "models.toml", build_tiny_sd(root / "sd"), build_tiny_sdxl(root / "sdxl")
    )
    settings = Settings(
        data_dir=root / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        public_url="http://testserver",
        free_daily_credits=0,
        webhook_allow_private=True,  # the test's receiver listens on loopback
    )  # type: ignore[call-arg]
    backend = HeldBackend(create_backend(settings))
    backend.gate.set()
    app = create_app(settings, backend=backend)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=100)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {issued.key}"}


def picture() -> Image.Image:
    width, height = SIZE
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, (x + y) / 2], -1).astype(np.uint8), "RGB")


def data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def delivered(client: TestClient, result: dict) -> np.ndarray:
    return np.asarray(
        Image.open(io.BytesIO(client.get(result["image_url"]).content)).convert("RGB")
    )


def credits(client: TestClient, headers: dict) -> int:
    return int(client.get("/api/v1/account", headers=headers).json()["credits_available"])


@pytest.mark.parametrize("quality, cost", [("fast", 1), ("hires", 2)])  # SD, SDXL
def test_every_type_runs_on_the_diffusers_backend(served, quality: str, cost: int) -> None:
    client, headers = served
    source = picture()
    mask = Image.new("L", (60, 36), 0)  # another size: resized to the image
    mask.paste(255, (20, 10, 40, 26))
    repaint = np.asarray(mask.resize(SIZE, Image.Resampling.NEAREST)) >= 128
    original = np.asarray(source)
    common = {"prompt": PROMPT, "quality": quality, "image": data_url(source), "seed": 4}

    before = credits(client, headers)
    i2i = client.post(
        "/api/v1/generate", json={**common, "type": "i2i", "strength": 0.5}, headers=headers
    )
    assert i2i.status_code == 200, i2i.text
    assert delivered(client, i2i.json()).shape == (SIZE[1], SIZE[0], 3)

    inpaint = client.post(
        "/api/v1/generate",
        json={**common, "type": "inpaint", "mask": data_url(mask)},
        headers=headers,
    )
    assert inpaint.status_code == 200, inpaint.text
    out = delivered(client, inpaint.json())
    assert out.shape == original.shape
    assert psnr(out[~repaint], original[~repaint]) >= 40
    assert psnr(out[repaint], original[repaint]) < 30

    outpaint = client.post(
        "/api/v1/generate",
        json={**common, "type": "outpaint", "expand": {"left": 16, "bottom": 24}},
        headers=headers,
    )
    assert outpaint.status_code == 200, outpaint.text
    out = delivered(client, outpaint.json())
    assert out.shape == (SIZE[1] + 24, SIZE[0] + 16, 3)
    assert psnr(out[: SIZE[1], 16:], original) >= 40
    assert credits(client, headers) == before - 3 * cost


def test_the_three_tasks_share_one_copy_of_the_weights(served) -> None:
    client, headers = served
    body = {"prompt": PROMPT, "type": "i2i", "image": data_url(picture())}
    assert client.post("/api/v1/generate", json=body, headers=headers).status_code == 200
    backend = client.app.state.limner.backend  # type: ignore[attr-defined]
    loaded = backend.cache.get(backend.registry.preset(Style.realistic, Quality.fast))
    t2i, i2i, inpaint = (loaded.for_task(task) for task in ("t2i", "i2i", "inpaint"))
    for name in ("unet", "vae", "text_encoder"):
        tensors = [dict(getattr(pipe, name).named_parameters()) for pipe in (t2i, i2i, inpaint)]
        for key, tensor in tensors[0].items():
            assert tensors[1][key] is tensor and tensors[2][key] is tensor
            assert tensors[1][key].data_ptr() == tensor.data_ptr()


def test_an_async_inpaint_runs_from_the_queue_with_progress_and_a_webhook(served) -> None:
    client, headers = served
    mask = Image.new("L", SIZE, 0)
    mask.paste(255, (0, 0, 40, 72))
    body = {
        "prompt": PROMPT,
        "type": "inpaint",
        "image": data_url(picture()),
        "mask": data_url(mask),
        "n": 2,
    }
    backend = client.app.state.limner.backend  # type: ignore[attr-defined]
    # The job waits until the event stream is connected, so its progress is seen live: a
    # stream that connected after the job ended would replay only its statuses.
    backend.gate.clear()
    with receiver() as hook:
        try:
            queued = client.post(
                "/api/v1/generate", json={**body, "webhook_url": hook.url}, headers=headers
            )
            assert queued.status_code == 202, queued.text
            generation_id = queued.json()["id"]
            lines = []
            with client.stream(
                "GET", f"/api/v1/generations/{generation_id}/events", headers=headers
            ) as events:
                for line in events.iter_lines():
                    lines.append(line)
                    if line.startswith("event: "):
                        backend.gate.set()
        finally:
            backend.gate.set()
        assert "event: progress" in lines  # the pipeline's steps, reported as for t2i
        finished = client.get(f"/api/v1/generations/{generation_id}", headers=headers).json()
        assert finished["status"] == "completed" and finished["credits_used"] == 2
        assert len(finished["images"]) == 2
        assert hook.arrived.wait(120)
    payload = json.loads(hook.received[0].body)
    assert payload["type"] == "generation.completed"
    assert payload["data"]["id"] == generation_id and payload["data"]["type"] == "inpaint"
