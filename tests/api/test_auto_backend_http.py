"""What a client sees of the backend: `"backend"` on every generation, and on a server that
`LIMNER_BACKEND=auto` left on the placeholder, its banner in `/readyz` and the playground. (The
fetch itself, against a hub the test runs: tests/integration/test_auto_backend.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from limner.api import create_app
from limner.config import Settings
from tests.conftest import Key, KeyFactory

PROMPT = {"prompt": "a lighthouse at dusk", "quality": "fast", "style": "realistic"}


def models_without_a_cached_model(path: Path) -> Path:
    preset = (
        'pipeline = "limner-test/never-fetched"\n'
        "steps = 2\nguidance = 0.0\nwidth = 64\nheight = 64\n"
    )
    path.write_text(
        "".join(
            f"[{style}.{quality}]\n{preset}"
            for style in ("realistic", "anime", "nude")
            for quality in ("fast", "hires")
        ),
        "utf-8",
    )
    return path


def test_auto_without_a_model_serves_the_placeholder_and_says_so_everywhere(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    app = create_app(
        settings_factory(
            backend="auto", models_file=models_without_a_cached_model(tmp_path / "m.toml")
        )
    )
    with TestClient(app) as client:
        from limner import keys
        from tests.conftest import Key as _Key  # noqa: F401 (the fixture type, for readers)

        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
        headers = {"Authorization": f"Bearer {issued.key}"}

        ready = client.get("/readyz").json()
        assert ready["backend"] == "placeholder"
        # a process other than `limner serve` decides on the local cache alone: it never fetches
        assert "limner-test/never-fetched" in ready["notice"]
        assert "only `limner serve` fetches" in ready["notice"]

        made = client.post("/api/v1/generate", headers=headers, json=PROMPT)
        assert made.status_code == 200, made.text
        assert made.json()["backend"] == "placeholder"

        page = client.get("/playground").text
        assert 'id="backend-notice"' in page and ready["notice"].split(":")[0] in page


def test_a_named_placeholder_answers_backend_placeholder_without_a_banner(
    client: TestClient, key: Key, make_key: KeyFactory
) -> None:
    ready = client.get("/readyz").json()
    assert ready["backend"] == "placeholder" and "notice" not in ready
    assert 'id="backend-notice"' not in client.get("/playground").text

    made = client.post("/api/v1/generate", headers=key.headers, json=PROMPT)
    assert made.status_code == 200, made.text
    generation = made.json()
    assert generation["backend"] == "placeholder"
    read = client.get(f"/api/v1/generations/{generation['id']}", headers=key.headers).json()
    assert read["backend"] == "placeholder"
