"""Characters on the real diffusers path: HTTP -> plan -> a tiny random-weight SD pipeline with a
tiny random-weight IP-Adapter and CLIP image encoder (built offline by the test), loaded through
diffusers' own `load_ip_adapter`.

The image encoder's calls are counted by a torch forward hook on the loaded pipeline's encoder:
a character's embeddings are computed on its first generation and never again, and they reach
the UNet (another character changes the picture; the same one with the same seed does not)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner import keys, ledger
from limner.api import create_app
from limner.backends import create_backend
from limner.config import Settings
from limner.db.tables import CharacterEmbedding
from limner.domain.styles import Quality, Style
from tests.support.tiny_pipelines import (
    add_ip_adapter,
    build_tiny_ip_adapter,
    build_tiny_sd,
    build_tiny_sdxl,
    write_models_toml,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    sd = build_tiny_sd(root / "sd")
    adapter = build_tiny_ip_adapter(root / "ip-adapter", sd)
    toml = write_models_toml(root / "models.toml", sd, build_tiny_sdxl(root / "sdxl"))
    # realistic.fast conditions on references; every hires preset (SDXL) has no adapter
    return add_ip_adapter(toml, adapter, styles=("realistic",), scale=2.0)


class Server:
    def __init__(self, client: TestClient, headers: dict[str, str], encoder_calls: list[int]):
        self.client = client
        self.headers = headers
        self.encoder_calls = encoder_calls

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def picture(self, body: dict[str, Any]) -> np.ndarray:
        data = self.client.get(body["image_url"]).content
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


@pytest.fixture
def server(tmp_path: Path, models: Path) -> Iterator[Server]:
    settings = Settings(
        data_dir=tmp_path / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        public_url="http://testserver",
    )  # type: ignore[call-arg]
    backend = create_backend(settings)
    calls: list[int] = []
    loaded = backend.cache.get(backend.registry.preset(Style.realistic, Quality.fast))  # type: ignore[attr-defined]
    loaded.pipe.image_encoder.register_forward_hook(lambda *_args: calls.append(1))
    app = create_app(settings, backend=backend)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, plan="pro")
        ledger.grant(session=session, account_id=issued.account_id, amount=50)
    with TestClient(app) as client:
        yield Server(client, {"Authorization": f"Bearer {issued.key}"}, calls)


def reference(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    image = Image.new("RGB", (48, 48), colour)
    image.paste((colour[2], colour[0], colour[1]), (8, 8, 30, 40))
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_embeddings_are_computed_once_and_reach_the_pipeline(server: Server) -> None:
    mara = server.post(
        "/api/v1/characters", {"name": "Mara", "references": [reference((220, 30, 30))]}
    )
    ole = server.post(
        "/api/v1/characters", {"name": "Ole", "references": [reference((20, 60, 230))]}
    )
    assert server.encoder_calls == []  # nothing is encoded until a generation needs it

    request = {"prompt": "a lighthouse at dusk", "seed": 11, "character_id": mara["id"]}
    first = server.post("/api/v1/generate", request)
    assert first["character"] == {"id": mara["id"], "name": "Mara"}
    assert first["reference_conditioning"] is True
    assert len(server.encoder_calls) == 1
    again = server.post("/api/v1/generate", request)
    other_scene = server.post("/api/v1/generate", {**request, "prompt": "a harbour", "seed": 3})
    assert len(server.encoder_calls) == 1  # read back from the character's cache
    assert other_scene["status"] == "completed"

    theirs = server.post("/api/v1/generate", {**request, "character_id": ole["id"]})
    assert len(server.encoder_calls) == 2
    plain = server.post("/api/v1/generate", {"prompt": "a lighthouse at dusk", "seed": 11})
    assert len(server.encoder_calls) == 2

    same = difference(server.picture(first), server.picture(again))
    changed = difference(server.picture(first), server.picture(theirs))
    without = difference(server.picture(first), server.picture(plain))
    # the same character and seed differ only by each generation's invisible watermark
    assert same < 2.0 and changed > 3 * same and without > 3 * same, (
        same,
        changed,
        without,
    )


def test_a_preset_without_an_adapter_uses_traits_and_the_fixed_seed(server: Server) -> None:
    mara = server.post(
        "/api/v1/characters", {"name": "Mara", "references": [reference((220, 30, 30))]}
    )
    request = {"prompt": "a lighthouse at dusk", "quality": "hires", "character_id": mara["id"]}
    first = server.post("/api/v1/generate", request)
    second = server.post("/api/v1/generate", {**request, "prompt": "a harbour at noon"})
    assert first["reference_conditioning"] is False and second["reference_conditioning"] is False
    assert first["seed"] == second["seed"]  # the character's own seed, with none in the request
    assert server.post("/api/v1/generate", {**request, "seed": 5})["seed"] == 5
    assert server.encoder_calls == []


def test_delete_removes_the_embeddings(server: Server) -> None:
    mara = server.post(
        "/api/v1/characters", {"name": "Mara", "references": [reference((9, 200, 9))]}
    )
    server.post(
        "/api/v1/generate", {"prompt": "a lighthouse", "seed": 1, "character_id": mara["id"]}
    )
    database = server.client.app.state.limner.database  # type: ignore[attr-defined]

    def stored() -> int:
        with database.read() as session:
            return int(session.scalar(select(func.count()).select_from(CharacterEmbedding)) or 0)

    assert stored() == 1
    response = server.client.delete(f"/api/v1/characters/{mara['id']}", headers=server.headers)
    assert response.status_code == 204
    assert stored() == 0


def test_inpaint_and_i2i_condition_on_the_characters_embeddings(server: Server) -> None:
    """The image-input kinds run pipelines made from the loaded one (`from_pipe`), which share
    its UNet and so its IP-Adapter layers: the cached embeddings reach them too."""
    mara = server.post(
        "/api/v1/characters", {"name": "Mara", "references": [reference((220, 30, 30))]}
    )
    ole = server.post(
        "/api/v1/characters", {"name": "Ole", "references": [reference((20, 60, 230))]}
    )
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 120, 120)).save(buffer, format="PNG")
    canvas = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="PNG")  # repaint everything
    everywhere = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    inpaint = {"prompt": "a lighthouse", "type": "inpaint", "image": canvas, "mask": everywhere}

    first = server.post("/api/v1/generate", {**inpaint, "seed": 7, "character_id": mara["id"]})
    assert first["character"]["id"] == mara["id"] and first["reference_conditioning"] is True
    assert len(server.encoder_calls) == 1
    again = server.post("/api/v1/generate", {**inpaint, "seed": 7, "character_id": mara["id"]})
    theirs = server.post("/api/v1/generate", {**inpaint, "seed": 7, "character_id": ole["id"]})
    assert len(server.encoder_calls) == 2  # once per character, whatever the kind
    same = difference(server.picture(first), server.picture(again))
    changed = difference(server.picture(first), server.picture(theirs))
    assert same < 2.0 and changed > 3 * same, (same, changed)

    i2i = server.post(
        "/api/v1/generate",
        {"prompt": "a harbour", "type": "i2i", "image": canvas, "character_id": ole["id"]},
    )
    assert i2i["status"] == "completed" and i2i["reference_conditioning"] is True
    assert len(server.encoder_calls) == 2
