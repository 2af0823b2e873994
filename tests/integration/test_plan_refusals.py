"""The plan refuses what no backend of the server can make before any credit is reserved (the
ledger is untouched), and a process holding several backends gives each request to the first
that can make it (issue 9)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner.db.tables import Generation, LedgerEntry, Reservation
from tests.integration.test_diffusers_http import (  # noqa: F401 - the fixtures
    credits,
    diffusers_app,
    model_dirs,
)
from tests.support.tiny_pipelines import write_models_toml

PROMPT = "a lighthouse at dusk"


def png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 140, 160)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def disabled_models(tmp_path: Path, dirs: dict[str, Path], section: str) -> Path:
    """A models file like the fixture's, with one preset `enabled = false`."""
    models = write_models_toml(tmp_path / "disabled.toml", dirs["sd"], dirs["sdxl"])
    text = models.read_text()
    assert f"[{section}]\n" in text
    models.write_text(text.replace(f"[{section}]\n", f"[{section}]\nenabled = false\n"))
    return models


def ledger_rows(client: TestClient) -> tuple[int, int, int]:
    database = client.app.state.limner.database  # type: ignore[attr-defined]
    with database.read() as session:
        return (
            session.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            session.scalar(select(func.count()).select_from(Reservation)) or 0,
            session.scalar(select(func.count()).select_from(Generation)) or 0,
        )


def assert_refused_before_reservation(
    client: TestClient, headers: dict[str, str], body: dict[str, object]
) -> None:
    before, available = ledger_rows(client), credits(client, headers)
    response = client.post("/api/v1/generate", json=body, headers=headers)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "generation_failed"
    assert "not" in response.json()["message"]
    # no reserve-and-release pair, no reservation, no generation row: the ledger never moved
    assert ledger_rows(client) == before
    assert credits(client, headers) == available


@pytest.mark.parametrize("queued", [False, True])
def test_an_image_input_type_on_a_disabled_preset_is_refused_before_any_credit_is_reserved(
    diffusers_app,  # noqa: F811
    tmp_path: Path,
    queued: bool,
) -> None:
    _client, _headers, dirs = diffusers_app()
    client, headers, _ = diffusers_app(models_file=disabled_models(tmp_path, dirs, "anime.hires"))
    body = {
        "prompt": PROMPT,
        "type": "i2i",
        "style": "anime",
        "quality": "hires",
        "image": png_data_url(),
        "async": queued,
    }
    assert_refused_before_reservation(client, headers, body)


def test_a_disabled_preset_is_refused_before_any_credit_is_reserved(
    diffusers_app,  # noqa: F811
    tmp_path: Path,
) -> None:
    _client, _headers, dirs = diffusers_app()
    models = disabled_models(tmp_path, dirs, "anime.hires")
    client, headers, _ = diffusers_app(models_file=models)
    assert_refused_before_reservation(
        client, headers, {"prompt": PROMPT, "style": "anime", "quality": "hires"}
    )
    ok = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=headers)
    assert ok.status_code == 200, ok.text


def test_the_plan_picks_the_backend_per_request(
    diffusers_app,  # noqa: F811
    tmp_path: Path,
) -> None:
    _client, _headers, dirs = diffusers_app()
    models = disabled_models(tmp_path, dirs, "anime.hires")
    client, headers, _ = diffusers_app(
        models_file=models, extra_backends=["placeholder"], free_daily_credits=10
    )

    def made_by(body: dict[str, object]) -> str:
        response = client.post("/api/v1/generate", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "completed"
        database = client.app.state.limner.database  # type: ignore[attr-defined]
        with database.read() as session:
            return session.get(Generation, response.json()["id"]).backend

    assert made_by({"prompt": PROMPT}) == "diffusers"
    assert made_by({"prompt": PROMPT, "style": "anime", "quality": "hires"}) == "placeholder"
    image_to_image = {"prompt": PROMPT, "type": "i2i", "image": png_data_url()}
    assert made_by(image_to_image) == "diffusers"
    assert made_by({**image_to_image, "style": "anime", "quality": "hires"}) == "placeholder"
