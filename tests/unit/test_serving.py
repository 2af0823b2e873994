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
