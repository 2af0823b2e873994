"""`/v1/images/edits` and `/v1/images/variations` through the official `openai` SDK against a live
server on the real diffusers code with tiny random-weight pipelines (SD: `fast`), built offline
by the test: the masked edit keeps the opaque pixels, the answers are at the input's size, and
each request is charged like the v1 endpoint."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")
from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from tests.support.live_server import free_port, running
from tests.support.tiny_pipelines import build_tiny_sd, build_tiny_sdxl, write_models_toml

openai = pytest.importorskip("openai")

SIZE = (120, 72)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("openai-edits")
    models = write_models_toml(
        root / "models.toml", build_tiny_sd(root / "sd"), build_tiny_sdxl(root / "sdxl")
    )
    port = free_port()
    settings = Settings(
        data_dir=root / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        public_url=f"http://127.0.0.1:{port}",
        free_daily_credits=0,
    )  # type: ignore[call-arg]
    app = create_app(settings)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=20)
    with running(app, port=port) as base_url:
        yield base_url, issued.key


def picture() -> Image.Image:
    width, height = SIZE
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, (x + y) / 2], -1).astype(np.uint8), "RGB")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_edits_and_variations_run_on_the_diffusers_backend(served: tuple[str, str]) -> None:
    base_url, key = served
    headers = {"Authorization": f"Bearer {key}"}
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0)
    source = picture()
    original = np.asarray(source)
    mask = Image.new("RGBA", SIZE, (0, 0, 0, 255))  # OpenAI's convention: transparent repaints
    mask.paste((0, 0, 0, 0), (40, 20, 80, 52))
    repaint = np.zeros(original.shape[:2], dtype=bool)
    repaint[20:52, 40:80] = True
    image_file = ("in.png", png(source), "image/png")
    try:
        edited = client.images.edit(
            image=image_file,
            mask=("mask.png", png(mask), "image/png"),
            prompt="a lighthouse at dusk",
            response_format="b64_json",
        )
        out = np.asarray(
            Image.open(io.BytesIO(base64.b64decode(edited.data[0].b64_json or ""))).convert("RGB")
        )
        assert out.shape == original.shape
        assert psnr(out[~repaint], original[~repaint]) >= 40
        assert psnr(out[repaint], original[repaint]) < 30

        plain = client.images.edit(image=image_file, prompt="a lighthouse at dusk")
        fetched = httpx.get(plain.data[0].url or "")
        assert Image.open(io.BytesIO(fetched.content)).size == SIZE
        with pytest.deprecated_call():
            varied = client.images.create_variation(image=image_file, n=2)
        assert len(varied.data) == 2
    finally:
        client.close()
    listed = httpx.get(f"{base_url}/api/v1/generations", headers=headers).json()["data"]
    assert sorted((g["type"], g.get("n", 1), g["credits_used"]) for g in listed) == [
        ("i2i", 1, 1),
        ("i2i", 2, 2),
        ("inpaint", 1, 1),
    ]
    account = httpx.get(f"{base_url}/api/v1/account", headers=headers).json()
    assert account["credits_available"] == 20 - 4
