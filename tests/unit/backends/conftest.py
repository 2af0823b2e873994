"""Fixtures for the diffusers backend tests: tiny random-weight pipelines built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.domain.styles import Quality, Style

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner.backends.diffusers.registry import ModelRegistry, load_registry  # noqa: E402
from tests.support.tiny_pipelines import (  # noqa: E402
    build_tiny_sd,
    build_tiny_sdxl,
    build_tiny_taesd,
    write_models_toml,
)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    sd = build_tiny_sd(root / "sd")
    sdxl = build_tiny_sdxl(root / "sdxl")
    toml = write_models_toml(root / "models.toml", sd, sdxl)
    taesd = build_tiny_taesd(root / "taesd")
    return {"sd": sd, "sdxl": sdxl, "toml": toml, "root": root, "taesd": taesd}


@pytest.fixture(scope="session")
def tiny_registry(tiny_models: dict[str, Path]) -> ModelRegistry:
    return load_registry(tiny_models["toml"])


def with_presets(registry: ModelRegistry, **updates: dict[str, object]) -> ModelRegistry:
    """A copy of `registry` where `style_quality={key: value}` updates one preset."""
    presets = {
        style: {quality: registry.preset(style, quality) for quality in Quality} for style in Style
    }
    for name, update in updates.items():
        style, quality = name.split("_")
        presets[Style(style)][Quality(quality)] = presets[Style(style)][
            Quality(quality)
        ].model_copy(update=update)
    return ModelRegistry(presets=presets, source=registry.source)
