"""Live previews: a queued job on the diffusers backend shows a small picture of the image so far
in its progress (made by the preset's tiny decoder); a synchronous request asks for none."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("diffusers")

from limner import keys
from limner.api import create_app
from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.diffusers import DiffusersBackend
from limner.backends.diffusers.registry import load_registry
from limner.config import Settings
from limner.generation.live import PREVIEW_MAX_PX
from tests.support.gated import GATE_LIMIT_S
from tests.support.tiny_pipelines import (
    build_tiny_sd,
    build_tiny_sdxl,
    build_tiny_taesd,
    write_models_toml,
)

STEPS = 3


class PreviewGate:
    """The diffusers backend, holding at its first preview until the test has looked."""

    def __init__(self, inner: DiffusersBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.previewed = threading.Event()
        self.gate = threading.Event()
        self.asked_for_previews: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        self.asked_for_previews.append(context.wants_previews)
        if context.on_preview is not None:
            publish = context.on_preview

            def held(image: Image.Image) -> None:
                publish(image)
                self.previewed.set()
                if not self.gate.wait(GATE_LIMIT_S):
                    raise AssertionError("the test never opened the gate")

            context.on_preview = held
        return self.inner.generate(spec, context)


@pytest.fixture(scope="module")
def models_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview-models")
    toml = write_models_toml(
        root / "models.toml",
        build_tiny_sd(root / "sd"),
        build_tiny_sdxl(root / "sdxl"),
        steps=STEPS,
    )
    taesd = build_tiny_taesd(root / "taesd")
    text = toml.read_text().replace(
        "[realistic.fast]\n",
        f'[realistic.fast]\ntiny_vae = "{taesd}"\ntiny_vae_use = "previews"\n',
    )
    toml.write_text(text)
    return toml


def test_a_queued_job_shows_previews_and_a_sync_request_asks_for_none(
    tmp_path: Path, models_file: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        backend="diffusers",
        models_file=models_file,
        diffusers_device="cpu",
        public_url="http://testserver",
    )
    backend = PreviewGate(
        DiffusersBackend(load_registry(models_file), device="cpu", dtype="float32")
    )
    app = create_app(settings, backend=backend)  # type: ignore[arg-type]
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        backend.gate.set()  # a synchronous request runs straight through
        made = client.post("/api/v1/generate", json={"prompt": "a lighthouse"}, headers=headers)
        assert made.status_code == 200, made.text
        assert backend.asked_for_previews == [False]
        assert "progress" not in made.json()

        backend.gate.clear()
        job = client.post(
            "/api/v1/generate", json={"prompt": "a lighthouse", "async": True}, headers=headers
        ).json()
        assert backend.previewed.wait(GATE_LIMIT_S)
        running = client.get(f"/api/v1/generations/{job['id']}", headers=headers).json()
        backend.gate.set()

        progress = running["progress"]
        assert running["status"] == "running" and progress["step"] >= 1
        prefix = "data:image/jpeg;base64,"
        assert progress["preview"].startswith(prefix)
        picture = Image.open(io.BytesIO(base64.b64decode(progress["preview"][len(prefix) :])))
        assert picture.format == "JPEG" and max(picture.size) <= PREVIEW_MAX_PX
        # the event stream ends with the job: no clock in the test
        with client.stream(
            "GET", f"/api/v1/generations/{job['id']}/events", headers=headers
        ) as events:
            names = [line[7:] for line in events.iter_lines() if line.startswith("event: ")]
        assert names[-1] == "completed", names
        done = client.get(f"/api/v1/generations/{job['id']}", headers=headers).json()
        assert done["status"] == "completed" and "progress" not in done
    assert backend.asked_for_previews == [False, True]
