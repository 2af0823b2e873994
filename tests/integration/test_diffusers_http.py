"""The whole path with the real diffusers code: HTTP -> moderation -> ledger -> a tiny random-
weight pipeline (SD and SDXL, built and saved by the test) -> caption -> provenance -> URL."""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner import keys
from limner.api import create_app
from limner.backends import create_backend
from limner.config import Settings
from tests.support.events import wait_finished
from tests.support.gated import GatedBackend
from tests.support.tiny_pipelines import (
    TINY_IMAGE_SIZE,
    build_tiny_sd,
    build_tiny_sdxl,
    write_models_toml,
)


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"sd": build_tiny_sd(root / "sd"), "sdxl": build_tiny_sdxl(root / "sdxl")}


@pytest.fixture
def diffusers_app(tmp_path: Path, model_dirs: dict[str, Path]) -> Iterator[Callable[..., tuple]]:
    """Build an app on the diffusers backend over private copies of the tiny models."""
    clients: list[TestClient] = []

    def make(
        *, gated: bool = False, adult_missing: bool = False, **overrides: object
    ) -> tuple[TestClient, dict[str, str], dict[str, Path]]:
        sd, sdxl = tmp_path / "sd", tmp_path / "sdxl"
        if not sd.exists():
            shutil.copytree(model_dirs["sd"], sd)
            shutil.copytree(model_dirs["sdxl"], sdxl)
        models = write_models_toml(tmp_path / "models.toml", sd, sdxl)
        if adult_missing:  # as shipped: the adult style's checkpoint is the operator's to supply
            text = models.read_text("utf-8")
            for quality, folder in (("fast", sd), ("hires", sdxl)):
                text = text.replace(
                    f"[nude.{quality}]\npipeline = {json.dumps(str(folder))}",
                    f"[nude.{quality}]\npipeline = {json.dumps(str(tmp_path / 'adult-style'))}",
                )
            models.write_text(text, "utf-8")
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "backend": "diffusers",
            "models_file": models,
            "diffusers_device": "cpu",
            "public_url": "http://testserver",
        }
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        backend = GatedBackend(create_backend(settings)) if gated else None
        app = create_app(settings, backend=backend)
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client, {"Authorization": f"Bearer {issued.key}"}, {"sd": sd, "sdxl": sdxl}

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def credits(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/api/v1/account", headers=headers).json()["credits_available"]


@pytest.mark.parametrize("quality, cost", [("fast", 1), ("hires", 2)])  # fast: SD, hires: SDXL
def test_generates_through_http_and_verifies(diffusers_app, quality: str, cost: int) -> None:
    client, headers, _ = diffusers_app()
    body = {
        "prompt": "a lighthouse at dusk",
        "quality": quality,
        "style": "nude",
        "appearance": {"gender": "female", "age": 35},
        "snap_caption": True,
        "seed": 11,
    }
    response = client.post("/api/v1/generate", json=body, headers=headers)
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["credits_used"] == cost and result["seed"] == 11
    data = client.get(result["image_url"]).content
    assert Image.open(io.BytesIO(data)).size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)
    verified = client.post("/api/v1/verify", content=data, headers=headers).json()
    assert verified["generation_id"] == result["id"]
    assert verified["from_this_server"] is True and verified["placeholder"] is False
    assert credits(client, headers) == 5 - cost


def test_a_pipeline_that_raises_is_503_and_free(diffusers_app) -> None:
    client, headers, dirs = diffusers_app()
    for weights in (dirs["sd"] / "unet").glob("*.safetensors"):
        weights.unlink()  # the folder passes the start-up check; loading then fails
    response = client.post("/api/v1/generate", json={"prompt": "a red bicycle"}, headers=headers)
    assert response.status_code == 503
    assert response.json()["error"] == "generation_failed"
    assert credits(client, headers) == 5


def test_timeout_then_busy(diffusers_app) -> None:
    client, headers, _ = diffusers_app(
        gated=True, generation_timeout_s=0.5, generation_workers=1, generation_queue_size=0
    )
    context = client.app.state.limner
    backend, runner = context.backend, context.service.runner
    first = client.post("/api/v1/generate", json={"prompt": "a red bicycle"}, headers=headers)
    assert first.status_code == 503
    assert first.json()["message"] == "Generation timed out. Please try again."
    # the gate is still shut, so the timed-out generation holds the only slot
    second = client.post("/api/v1/generate", json={"prompt": "a red bicycle"}, headers=headers)
    assert second.status_code == 503
    assert "busy" in second.json()["message"]
    backend.gate.set()  # the real pipeline now runs, sees the cancel and frees the slot
    assert runner.wait_idle(timeout=120) and runner.in_flight == 0
    assert credits(client, headers) == 5


def key_on(client: TestClient, *, test: bool) -> dict[str, str]:
    with client.app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, test=test)
    return {"Authorization": f"Bearer {issued.key}"}


def test_a_test_key_gets_the_placeholder_on_a_diffusers_server(diffusers_app) -> None:
    client, live, _ = diffusers_app()
    test = key_on(client, test=True)
    made = client.post("/api/v1/generate", json={"prompt": "a lighthouse at dusk"}, headers=test)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["livemode"] is False and body["credits_used"] == 0
    data = client.get(body["image_url"]).content
    assert Image.open(io.BytesIO(data)).size == (512, 512)  # the placeholder's, not the model's
    verified = client.post("/api/v1/verify", content=data, headers=test).json()
    assert verified["placeholder"] is True
    assert credits(client, test) == 5
    # the live key beside it still gets the model's image, and pays
    real = client.post("/api/v1/generate", json={"prompt": "a red bicycle"}, headers=live).json()
    assert real["livemode"] is True and real["credits_used"] == 1
    data = client.get(real["image_url"]).content
    assert Image.open(io.BytesIO(data)).size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)
    # no model was loaded for the test key: only the live request's SD pipeline
    assert len(client.app.state.limner.backend.cache.loaded_keys()) == 1


def test_a_test_keys_queued_i2i_job_runs_on_a_server_whose_models_cannot(
    diffusers_app, tmp_path: Path
) -> None:
    import base64

    _client, _live, dirs = diffusers_app()
    models = write_models_toml(tmp_path / "no-realistic.toml", dirs["sd"], dirs["sdxl"])
    text = models.read_text("utf-8")
    models.write_text(text.replace("[realistic.fast]\n", "[realistic.fast]\nenabled = false\n"))
    client, live, _ = diffusers_app(queue_poll_s=0.05, models_file=models)
    test = key_on(client, test=True)
    picture = io.BytesIO()
    Image.new("RGB", (48, 32), (30, 160, 90)).save(picture, format="PNG")
    body = {
        "prompt": "a lighthouse at dusk",
        "type": "i2i",
        "image": "data:image/png;base64," + base64.b64encode(picture.getvalue()).decode(),
        "async": True,
    }
    # the preset is disabled here, and a live request never falls to the placeholder
    refused = client.post("/api/v1/generate", json=body, headers=live)
    assert refused.status_code == 503 and refused.json()["error"] == "generation_failed"
    # a test key's job is claimed all the same: every process keeps the placeholder for them
    queued = client.post("/api/v1/generate", json=body, headers=test)
    assert queued.status_code == 202, queued.text
    done = wait_finished(client, queued.json()["id"], test)
    assert done["status"] == "completed" and done["livemode"] is False, done
    assert done["credits_used"] == 0 and credits(client, live) == 5


def test_a_missing_adult_model_disables_its_presets_and_the_rest_serve(
    diffusers_app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="limner.backends.diffusers.backend")
    client, headers, _ = diffusers_app(adult_missing=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for preset in ("nude.fast", "nude.hires"):
        lines = [line for line in warnings if f"preset {preset} is disabled" in line]
        assert len(lines) == 1, warnings  # one line, naming the key and the path to fix
        assert f"{preset}.pipeline" in lines[0] and "adult-style does not exist" in lines[0]
        assert "\n" not in lines[0]
    assert len(warnings) == 2  # and nothing about the presets that serve

    body = {"prompt": "a portrait", "style": "nude", "appearance": {"gender": "female", "age": 35}}
    refused = client.post("/api/v1/generate", json=body, headers=headers)
    assert refused.status_code == 503
    assert refused.json()["error"] == "generation_failed"
    message = refused.json()["message"]
    assert "`pipeline` of [nude.fast]" in message and "LIMNER_MODELS_FILE" in message
    assert "adult-style" not in message  # the server's paths stay in its log
    assert credits(client, headers) == 5  # refused before any credit was reserved

    made = client.post("/api/v1/generate", json={"prompt": "a red bicycle"}, headers=headers)
    assert made.status_code == 200 and made.json()["credits_used"] == 1

    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["backend"] == "ok"
    runtime = {row["preset"]: row for row in ready.json()["runtime"]}
    assert "does not exist" in runtime["nude.hires"]["disabled"]
    assert "disabled" not in runtime["realistic.fast"]
    # the probe checked again and found the same: no second warning
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_the_server_refuses_to_start_without_any_model(tmp_path: Path) -> None:
    from limner.errors import ConfigurationError

    missing = tmp_path / "models.toml"
    write_models_toml(missing, tmp_path / "no-sd", tmp_path / "no-sdxl")
    app = create_app(
        Settings(
            data_dir=tmp_path / "data",
            backend="diffusers",
            models_file=missing,
            diffusers_device="cpu",
        )
    )
    with (
        pytest.raises(ConfigurationError, match=r"no preset can serve.*does not exist"),
        TestClient(app),
    ):
        pass


def test_models_list_shows_the_registry_and_availability(
    tmp_path: Path, model_dirs: dict[str, Path]
) -> None:
    import os
    import subprocess
    import sys

    models = write_models_toml(tmp_path / "models.toml", model_dirs["sd"], tmp_path / "gone")
    env = {
        **os.environ,
        "LIMNER_DATA_DIR": str(tmp_path / "data"),
        "LIMNER_MODELS_FILE": str(models),
        "COLUMNS": "250",
    }
    result = subprocess.run(
        [sys.executable, "-m", "limner.cli", "models", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fast_rows = [line for line in result.stdout.splitlines() if "│ fast" in line]
    hires_rows = [line for line in result.stdout.splitlines() if "│ hires" in line]
    assert fast_rows and all("available" in line for line in fast_rows)
    assert hires_rows and all("missing" in line for line in hires_rows)


def test_readyz_names_each_presets_device_precision_and_decoder(diffusers_app) -> None:
    client, headers, _ = diffusers_app(diffusers_dtype="float32", diffusers_threads=1)
    before = {row["preset"]: row for row in client.get("/readyz").json()["runtime"]}
    assert set(before) == {
        f"{s}.{q}" for s in ("realistic", "anime", "nude") for q in ("fast", "hires")
    }
    assert before["realistic.fast"] == {
        "preset": "realistic.fast",
        "model": before["realistic.fast"]["model"],
        "device": "cpu",
        "dtype": "float32",
        "threads": 1,
        "decoder": "full",
        "execution": "eager",
        "max_batch": 4,
        "loaded": False,
    }
    made = client.post("/api/v1/generate", json={"prompt": "a lighthouse at dusk"}, headers=headers)
    assert made.status_code == 200, made.text
    after = {row["preset"]: row for row in client.get("/readyz").json()["runtime"]}
    assert after["realistic.fast"]["loaded"] and after["anime.fast"]["loaded"]  # one shared SD
    assert not after["realistic.hires"]["loaded"]


@pytest.mark.parametrize("quality", ["fast", "hires"])  # fast: SD, hires: SDXL
def test_a_requested_size_reaches_the_pipeline(diffusers_app, quality: str) -> None:
    client, headers, _ = diffusers_app()
    body = {"prompt": "a lighthouse at dusk", "quality": quality, "width": 64, "height": 32}
    response = client.post("/api/v1/generate", json=body, headers=headers)
    assert response.status_code == 200, response.json()
    data = client.get(response.json()["image_url"]).content
    assert Image.open(io.BytesIO(data)).size == (64, 32)
    too_big = client.post(
        "/api/v1/generate", json={**body, "width": 128, "height": 64}, headers=headers
    )
    assert too_big.status_code == 400 and too_big.json()["field"] == "width"


def test_the_openai_surface_on_the_diffusers_backend(diffusers_app) -> None:
    """The official SDK (over the in-process app) on real tiny pipelines: a size, b64 output,
    and a menu without the adult style while its model is missing."""
    openai = pytest.importorskip("openai")
    client, headers, _ = diffusers_app(adult_missing=True)
    sdk = openai.OpenAI(
        base_url="http://testserver/v1",
        api_key=headers["Authorization"].removeprefix("Bearer "),
        max_retries=0,
        http_client=client,  # a TestClient is an httpx.Client
    )
    result = sdk.images.generate(
        prompt="a lighthouse at dusk", model="anime", size="64x32", response_format="b64_json"
    )
    import base64

    image = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or "")))
    assert image.size == (64, 32) and result.size == "64x32"
    assert credits(client, headers) == 5 - 1
    ids = [model.id for model in sdk.models.list()]
    assert "anime.hires" in ids and "nude" not in ids and "nude.fast" not in ids
    with pytest.raises(openai.InternalServerError) as unavailable:
        sdk.images.generate(prompt="a lighthouse at dusk", model="nude")
    assert unavailable.value.status_code == 503
    assert credits(client, headers) == 5 - 1


def test_the_openai_surface_delivers_the_engines_jpeg_and_webp(diffusers_app) -> None:
    """On real tiny pipelines, `output_format` reaches the engine: a jpeg `url` and a webp
    `b64_json` are the stored images, each verifying with its C2PA manifest."""
    openai = pytest.importorskip("openai")
    client, headers, _ = diffusers_app()
    sdk = openai.OpenAI(
        base_url="http://testserver/v1",
        api_key=headers["Authorization"].removeprefix("Bearer "),
        max_retries=0,
        http_client=client,  # a TestClient is an httpx.Client
    )
    import base64

    for output_format, response_format, pil_format in (
        ("jpeg", "url", "JPEG"),
        ("webp", "b64_json", "WEBP"),
    ):
        raw = sdk.images.with_raw_response.generate(
            prompt="a lighthouse at dusk",
            output_format=output_format,  # type: ignore[arg-type]
            response_format=response_format,  # type: ignore[arg-type]
        )
        item = raw.parse().data[0]
        if response_format == "url":
            data = client.get(item.url or "").content
        else:
            data = base64.b64decode(item.b64_json or "")
        assert Image.open(io.BytesIO(data)).format == pil_format
        found = client.post("/api/v1/verify", content=data, headers=headers).json()
        assert found["format"] == pil_format and found["c2pa_valid"] is True
        assert found["generation_id"] == raw.headers["x-limner-generation-id"]
