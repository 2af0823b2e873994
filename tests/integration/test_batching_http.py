"""Dynamic batching through HTTP with the real diffusers code on a tiny pipeline: requests held
behind a busy device run as one pipeline call (seen on /metrics), each settled on its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner import keys
from limner.api import create_app
from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.diffusers import DiffusersBackend
from limner.config import Settings
from limner.domain.styles import Quality, Style
from tests.support.events import wait_finished
from tests.support.gated import GATE_LIMIT_S
from tests.support.tiny_pipelines import build_tiny_sd, build_tiny_sdxl, write_models_toml

HOLD_SEED = 100


class HeldDiffusers(DiffusersBackend):
    """The diffusers backend; the generation with HOLD_SEED keeps the device until `gate`."""

    started = threading.Event()
    gate = threading.Event()

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        if spec.seed == HOLD_SEED:
            self.started.set()
            if not self.gate.wait(GATE_LIMIT_S):
                raise AssertionError("the test never opened the gate")
        return super().generate(spec, context)


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def tiny_settings(tmp_path: Path, **overrides: object) -> Settings:
    """A server on the tiny random-weight pipelines, on the CPU, stamping in its own thread."""
    models = write_models_toml(
        tmp_path / "models.toml", build_tiny_sd(tmp_path / "sd"), build_tiny_sdxl(tmp_path / "sdxl")
    )
    return Settings(
        data_dir=tmp_path / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        public_url="http://testserver",
        provenance_workers=0,
        **overrides,
    )  # type: ignore[call-arg]


def test_two_requests_waiting_for_the_device_are_made_in_one_call(tmp_path: Path) -> None:
    settings = tiny_settings(
        tmp_path, generation_workers=4, generation_per_key_limit=4, queue_workers=3
    )
    backend = HeldDiffusers.from_settings(settings)
    app = create_app(settings, backend=backend)
    with app.state.limner.database.transaction() as session:
        headers = {"Authorization": f"Bearer {keys.create_key(session=session).key}"}
    runner = app.state.limner.service.backends.primary
    assert runner.batches is not None
    key = backend.batch_key(
        GenerationSpec(
            generation_id="k", prompt="k", style=Style.realistic, quality=Quality.fast, seed=1
        )
    )
    with TestClient(app) as client:
        first = client.post(
            "/api/v1/generate",
            json={"prompt": "a lighthouse at dusk", "seed": HOLD_SEED, "async": True},
            headers=headers,
        ).json()
        assert HeldDiffusers.started.wait(GATE_LIMIT_S)
        queued = [
            client.post(
                "/api/v1/generate",
                json={"prompt": prompt, "seed": seed, "async": True},
                headers=headers,
            ).json()
            for prompt, seed in (("a harbour in the rain", 7), ("a red bicycle", 8))
        ]
        # both wait behind the held generation (the limit is a safety net, not a timing)
        assert runner.batches.wait_for_waiting(key, 2, timeout=GATE_LIMIT_S)
        HeldDiffusers.gate.set()
        finished = [wait_finished(client, job["id"], headers) for job in (first, *queued)]
        assert [body["status"] for body in finished] == ["completed"] * 3
        assert [body["seed"] for body in finished] == [HOLD_SEED, 7, 8]
        assert all(body["credits_used"] == 1 for body in finished)
        text = client.get("/metrics").text
    # two calls: the held one alone, then the two waiting ones together
    assert metric(text, "limner_generation_batch_size_count") == 2
    assert metric(text, "limner_generation_batch_size_sum") == 3


def test_the_images_of_one_request_are_made_in_one_call(tmp_path: Path) -> None:
    settings = tiny_settings(tmp_path)
    app = create_app(settings, backend=DiffusersBackend.from_settings(settings))
    with app.state.limner.database.transaction() as session:
        headers = {"Authorization": f"Bearer {keys.create_key(session=session).key}"}
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/generate",
            json={"prompt": "a lighthouse at dusk", "seed": 5, "n": 3},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert [image["seed"] for image in body["images"]] == [5, 6, 7]
        assert body["credits_used"] == 3
        text = client.get("/metrics").text
    # one slot and one pipeline call for the request's three images (the tiny preset's cap is 4)
    assert metric(text, "limner_generation_batch_size_count") == 1
    assert metric(text, "limner_generation_batch_size_sum") == 3
