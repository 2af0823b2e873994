"""The models file: the packaged default, operator files, and errors that name the TOML key."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from limner.backends.diffusers.registry import (
    ModelRegistry,
    is_local_source,
    load_registry,
    parse_registry,
)
from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError

PRESET = {"pipeline": "org/model", "steps": 2, "guidance": 0.0, "width": 64, "height": 64}


def full(**overrides: dict[str, object]) -> dict[str, object]:
    """Decoded TOML with all six presets; `anime_hires={...}` merges into one preset."""
    data: dict[str, object] = {}
    for style in Style:
        data[style.value] = {q.value: dict(PRESET) for q in Quality}
    for name, update in overrides.items():
        style, quality = name.split("_")
        data[style][quality].update(update)  # type: ignore[index]
    return data


def error_of(data: dict[str, object]) -> str:
    with pytest.raises(ConfigurationError) as info:
        parse_registry(data, source="models.toml")
    return str(info.value)


def test_packaged_default_has_every_preset() -> None:
    registry = load_registry()
    fast = registry.preset(Style.realistic, Quality.fast)
    hires = registry.preset(Style.realistic, Quality.hires)
    assert fast.pipeline == "stabilityai/sd-turbo"
    assert (fast.width, fast.height, fast.guidance) == (512, 512, 0.0)
    assert 1 <= fast.steps <= 4
    assert hires.pipeline == "stabilityai/stable-diffusion-xl-base-1.0"
    assert (hires.width, hires.height) == (1024, 1024)
    # the adult style points at a folder the operator must supply
    assert registry.preset(Style.nude, Quality.fast).is_local
    assert len(registry.enabled_items()) == 6


def test_operator_file_resolves_relative_paths_against_itself(tmp_path: Path) -> None:
    models = tmp_path / "conf" / "models.toml"
    models.parent.mkdir()
    body = "\n".join(
        f'[{s.value}.{q.value}]\npipeline = "./weights/{s.value}"\nsteps = 4\n'
        f"guidance = 1.5\nwidth = 64\nheight = 128\n"
        for s in Style
        for q in Quality
    )
    models.write_text(body + '\n[realistic.fast.lora]\npath = "../loras/x.safetensors"\n')
    registry = load_registry(models)
    preset = registry.preset(Style.anime, Quality.hires)
    assert preset.pipeline == str((models.parent / "weights" / "anime").resolve())
    assert preset.height == 128
    lora = registry.preset(Style.realistic, Quality.fast).lora
    assert lora is not None and lora.path == str((tmp_path / "loras" / "x.safetensors").resolve())
    assert lora.scale == 1.0
    assert registry.source == str(models)


def test_defaults_table_is_inherited_and_overridden() -> None:
    data = full(anime_hires={"negative_prompt": "own"})
    data["defaults"] = {"negative_prompt": "shared", "scheduler": "DDIMScheduler"}
    registry = parse_registry(data)
    assert registry.preset(Style.realistic, Quality.fast).negative_prompt == "shared"
    assert registry.preset(Style.anime, Quality.hires).negative_prompt == "own"
    assert registry.preset(Style.nude, Quality.hires).scheduler == "DDIMScheduler"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            full(anime_hires={"steps": 0}),
            "anime.hires.steps: input should be greater than or equal to 1",
        ),
        (full(nude_fast={"width": 500}), "nude.fast.width: has to be divisible by 8 but is 500"),
        (full(realistic_fast={"stepz": 3}), "realistic.fast.stepz: is not a known key"),
        (full(realistic_hires={"guidance": "high"}), "realistic.hires.guidance:"),
        (
            full(anime_fast={"pipeline_class": "not a class"}),
            "anime.fast.pipeline_class: must be 'auto'",
        ),
        (
            full(anime_fast={"scheduler": "euler"}),
            "anime.fast.scheduler: must be a diffusers scheduler",
        ),
        (
            full(anime_fast={"pipeline": "has spaces/in it"}),
            "anime.fast.pipeline: 'has spaces/in it' is neither",
        ),
        (full(nude_hires={"trigger_words": {"robot": "x"}}), "nude.hires.trigger_words.robot"),
        (full(nude_hires={"lora": {"scale": 0.5}}), "nude.hires.lora.path: is required"),
        (full(realistic_fast={"lora": {"path": "x/y", "scale": 9}}), "realistic.fast.lora.scale"),
    ],
)
def test_invalid_preset_names_the_key(data: dict[str, object], expected: str) -> None:
    assert expected in error_of(data)
    assert error_of(data).startswith("models.toml: ")


def test_missing_preset_names_the_table() -> None:
    data = full()
    del data["anime"]["hires"]  # type: ignore[attr-defined]
    assert "missing table [anime.hires]" in error_of(data)


def test_missing_required_key() -> None:
    data = full()
    del data["realistic"]["fast"]["steps"]  # type: ignore[index]
    assert "realistic.fast.steps: is required" in error_of(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({**full(), "photo": {}}, "unknown table [photo]"),
        ({**full(), "anime": {"fast": PRESET, "hires": PRESET, "ultra": PRESET}}, "[anime.ultra]"),
        ({**full(), "defaults": 3}, "'defaults' must be a table"),
        ({**full(), "anime": {"fast": 1, "hires": PRESET}}, "'anime.fast' must be a table"),
    ],
)
def test_invalid_layout(data: dict[str, object], expected: str) -> None:
    assert expected in error_of(data)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="LIMNER_MODELS_FILE"):
        load_registry(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[realistic.fast\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_registry(broken)


def test_trigger_words_by_gender_with_default() -> None:
    registry = parse_registry(
        full(nude_fast={"trigger_words": {"female": "<t-f>", "default": "<t-any>"}})
    )
    preset = registry.preset(Style.nude, Quality.fast)
    assert preset.trigger_for(Gender.female) == "<t-f>"
    assert preset.trigger_for(Gender.male) == "<t-any>"
    assert preset.trigger_for(None) == "<t-any>"
    assert registry.preset(Style.nude, Quality.hires).trigger_for(Gender.female) is None


def test_presets_sharing_weights_share_a_key() -> None:
    registry = parse_registry(full(anime_fast={"scheduler": "DDIMScheduler", "steps": 9}))
    realistic = registry.preset(Style.realistic, Quality.fast)
    anime = registry.preset(Style.anime, Quality.fast)
    assert realistic.weights_key() == anime.weights_key()
    lora = parse_registry(full(anime_fast={"lora": {"path": "a/b"}})).preset(
        Style.anime, Quality.fast
    )
    assert lora.weights_key() != realistic.weights_key()


@pytest.mark.parametrize(
    ("source", "local"),
    [
        ("/srv/m", True),
        ("./m", True),
        ("../m", True),
        ("~/m", True),
        ("org/m", False),
        ("m", False),
    ],
)
def test_local_or_hub(source: str, local: bool) -> None:
    assert is_local_source(source) is local


def test_disabled_presets_are_listed_apart() -> None:
    registry = parse_registry(full(nude_fast={"enabled": False}, nude_hires={"enabled": False}))
    assert isinstance(registry, ModelRegistry)
    assert {s for s, _, _ in registry.enabled_items()} == {Style.realistic, Style.anime}


def test_registry_imports_without_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        import limner.backends.diffusers.registry as r
        r.load_registry()
        assert "torch" not in sys.modules and "diffusers" not in sys.modules, "heavy import"
        """
    )
    src = Path(__file__).resolve().parents[3] / "src"
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(src)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_an_ip_adapter_is_parsed_with_its_scale_and_its_path_resolved(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    body = "\n".join(
        f'[{s.value}.{q.value}]\npipeline = "org/model"\nsteps = 2\nguidance = 5.0\n'
        f"width = 64\nheight = 64\n"
        for s in Style
        for q in Quality
    )
    models.write_text(
        body + '\n[realistic.fast.ip_adapter]\npath = "./ip"\nweight_name = "a.safetensors"\n'
        "scale = 0.8\n"
    )
    registry = load_registry(models)
    adapter = registry.preset(Style.realistic, Quality.fast).ip_adapter
    assert adapter is not None and adapter.path == str((tmp_path / "ip").resolve())
    assert (adapter.scale, adapter.subfolder, adapter.image_encoder) == (0.8, "", "image_encoder")
    assert registry.preset(Style.anime, Quality.fast).ip_adapter is None
    # a preset with an adapter loads its own pipeline (the adapter's layers are in its UNet)
    assert (
        registry.preset(Style.realistic, Quality.fast).weights_key()
        != registry.preset(Style.anime, Quality.fast).weights_key()
    )


@pytest.mark.parametrize(
    ("ip_adapter", "extra", "expected"),
    [
        ({"path": "org/ip", "weight_name": "a.bin", "scale": 3}, {}, "ip_adapter.scale"),
        ({"weight_name": "a.bin"}, {}, "ip_adapter.path: is required"),
        (
            {"path": "org/ip", "weight_name": "a.bin"},
            {"attention_slicing": True},
            "attention_slicing cannot be combined with an ip_adapter",
        ),
    ],
)
def test_a_wrong_ip_adapter_names_the_key(
    ip_adapter: dict[str, object], extra: dict[str, object], expected: str
) -> None:
    assert expected in error_of(full(realistic_fast={"ip_adapter": ip_adapter, **extra}))
