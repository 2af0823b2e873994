"""The serving tier's pieces that need no Ray: render requests, the tiny pipeline, loaders and
the error a missing extra gives."""

from __future__ import annotations

import pytest

from limner.config import Settings
from limner.errors import ConfigurationError
from limner.serving.pipelines import RenderRequest, load_loader, tiny_pipeline


def requests(*sizes: int, model: str = "a") -> list[RenderRequest]:
    return [RenderRequest(model, "x", seed, size, size, 3) for seed, size in enumerate(sizes)]


def test_tiny_pipeline_is_deterministic_and_batch_invariant() -> None:
    pipeline = tiny_pipeline("a")
    batch = pipeline(requests(24, 24, 24))
    alone = [pipeline([request])[0] for request in requests(24, 24, 24)]
    assert [image.shape for image in batch] == [(24, 24, 3)] * 3
    for batched, single in zip(batch, alone, strict=True):
        assert abs(batched.astype(int) - single.astype(int)).max() <= 1
    assert (batch[0] != batch[1]).any()
    assert (tiny_pipeline("b")(requests(24))[0] != batch[0]).any()


def test_a_pipeline_call_takes_one_batch_key() -> None:
    with pytest.raises(ValueError, match="one batch_key"):
        tiny_pipeline("a")(requests(16, 24))


def test_round_trip_and_batch_key() -> None:
    request = RenderRequest("m", "p", 1, 64, 32, 4)
    assert RenderRequest.from_dict(request.to_dict()) == request
    assert request.batch_key == ("m", 64, 32, 4)


@pytest.mark.parametrize("path", ["nocolon", "limner.serving.pipelines:nope", "no.such:thing"])
def test_bad_loaders_are_configuration_errors(path: str) -> None:
    with pytest.raises(ConfigurationError, match=r"(?i)loader"):
        load_loader(path)


def test_ray_workers_without_ray_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from limner.serving.backend import RayBackend

    real_import = builtins.__import__

    def no_ray(name: str, *args: object, **kwargs: object) -> object:
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ConfigurationError, match=r"limner\[ray\]"):
        RayBackend.from_settings(Settings(workers="ray"))  # type: ignore[arg-type]


class RecordingHandle:
    """Ray Serve's `DeploymentHandle` surface that `RayBackend` uses, recording each request
    (the replica's side is tests/integration/test_ray_serve.py)."""

    def __init__(self) -> None:
        self.sent: list[RenderRequest] = []

    def options(self, **_options: object) -> RecordingHandle:
        return self

    def remote(self, request: dict[str, object]) -> RecordingHandle.Response:
        render = RenderRequest.from_dict(request)
        self.sent.append(render)
        return self.Response(render)

    class Response:
        def __init__(self, render: RenderRequest) -> None:
            self.render = render

        def result(self, timeout_s: float) -> dict[str, object]:
            import numpy as np

            # a real-sized, textured picture, as the replica sends (the watermark needs both)
            size = 512
            pixels = np.random.default_rng(self.render.seed).integers(0, 256, (size, size, 3))
            return {"width": size, "height": size, "rgb": pixels.astype(np.uint8).tobytes()}

        def cancel(self) -> None:
            return None


def test_the_ray_path_receives_the_built_prompt(settings_factory) -> None:
    """Style words, the adult style's traits and its negative prompt reach the replica: a style
    means the same on the Ray tier as on every other backend."""
    from fastapi.testclient import TestClient

    from limner import keys
    from limner.api import create_app
    from limner.domain.prompts import ADULT_SAFETY_NEGATIVE, STYLE_PRESETS
    from limner.domain.styles import Style
    from limner.serving.backend import RayBackend

    handle = RecordingHandle()
    app = create_app(settings_factory(), backend=RayBackend(handle, model_id="model-a"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    headers = {"Authorization": f"Bearer {issued.key}"}
    client = TestClient(app)  # no lifespan: it would ask Ray itself whether it is connected
    adult = {
        "prompt": "a portrait by a window in soft morning light",
        "style": "nude",
        "appearance": {"age": 32, "gender": "female", "hair_color": "auburn"},
    }
    for body in ({"prompt": "a lighthouse at dusk", "style": "anime"}, adult):
        response = client.post("/api/v1/generate", json=body, headers=headers)
        assert response.status_code == 200, response.text
    anime, nude = handle.sent
    assert anime.prompt.startswith(STYLE_PRESETS[Style.anime].positive)
    assert anime.prompt.endswith("a lighthouse at dusk")
    assert anime.negative_prompt == STYLE_PRESETS[Style.anime].negative
    assert STYLE_PRESETS[Style.nude].positive in nude.prompt
    assert "32-year-old adult woman, auburn hair" in nude.prompt
    assert nude.negative_prompt.startswith(ADULT_SAFETY_NEGATIVE)
    assert {render.model_id for render in handle.sent} == {"model-a"}
