"""DiffusersBackend on tiny random-weight SD and SDXL pipelines: the real diffusers code path."""

from __future__ import annotations

import logging
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from limner.backends.base import (
    Backend,
    GenerationCanceled,
    GenerationContext,
    GenerationSpec,
    Media,
)
from limner.backends.diffusers import DiffusersBackend
from limner.backends.diffusers.device import choose_device, choose_dtype, cpu_has_bf16
from limner.backends.diffusers.pipelines import estimate_bytes
from limner.backends.diffusers.registry import IpAdapterSpec, ModelRegistry
from limner.domain.prompts import build_prompt
from limner.domain.requests import Appearance
from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError, GenerationFailed
from tests.support.tiny_pipelines import TINY_STEPS
from tests.unit.backends.conftest import with_presets


def spec(
    style: Style = Style.realistic, quality: Quality = Quality.fast, seed: int = 7, **extra: object
) -> GenerationSpec:
    values: dict[str, object] = {"prompt": "a lighthouse at dusk", **extra}
    return GenerationSpec(
        generation_id="gen_test",
        style=style,
        quality=quality,
        seed=seed,
        **values,
    )  # type: ignore[arg-type]


def pixels(media: Media) -> np.ndarray:
    return np.asarray(media.image)


@pytest.fixture(scope="module")
def sized_registry(tiny_registry: ModelRegistry) -> ModelRegistry:
    # non-square sizes, so a width/height mix-up shows
    return with_presets(
        tiny_registry,
        realistic_fast={"width": 64, "height": 48},
        anime_hires={"width": 48, "height": 64},
    )


@pytest.fixture(scope="module")
def backend(sized_registry: ModelRegistry) -> DiffusersBackend:
    backend = DiffusersBackend(sized_registry, device="cpu")
    yield backend
    backend.close()


def test_is_a_backend(backend: DiffusersBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "diffusers"
    # on CPU: bfloat16 where the processor has it in hardware, float32 elsewhere
    assert backend.dtype is (torch.bfloat16 if cpu_has_bf16() else torch.float32)


def test_check_ready_passes_for_existing_folders(backend: DiffusersBackend) -> None:
    backend.check_ready()


@pytest.mark.parametrize(
    ("style", "quality", "size"),
    [
        (Style.realistic, Quality.fast, (64, 48)),
        (Style.anime, Quality.hires, (48, 64)),
        (Style.nude, Quality.hires, (64, 64)),
    ],
)
def test_generates_an_rgb_image_of_the_preset_size(
    backend: DiffusersBackend, style: Style, quality: Quality, size: tuple[int, int]
) -> None:
    # the plan builds the prompt (with the traits) before a backend sees it
    appearance = Appearance(gender=Gender.female, age=30) if style is Style.nude else None
    built = build_prompt(prompt="a lighthouse at dusk", style=style, appearance=appearance)
    extra = {"prompt": built.positive, "negative_prompt": built.negative}
    image = backend.generate(spec(style, quality, **extra), GenerationContext()).image
    assert image.mode == "RGB"
    assert image.size == size


@pytest.mark.parametrize("quality", list(Quality))
def test_seed_decides_the_pixels(backend: DiffusersBackend, quality: Quality) -> None:
    first = backend.generate(spec(quality=quality, seed=1), GenerationContext())
    again = backend.generate(spec(quality=quality, seed=1), GenerationContext())
    other = backend.generate(spec(quality=quality, seed=2), GenerationContext())
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other))


def test_progress_is_reported_every_step(backend: DiffusersBackend) -> None:
    steps: list[tuple[int, int]] = []
    backend.generate(
        spec(quality=Quality.hires),
        GenerationContext(on_progress=lambda s, t: steps.append((s, t))),
    )
    assert steps == [(step, TINY_STEPS) for step in range(1, TINY_STEPS + 1)]


def test_cancel_stops_at_the_next_step(backend: DiffusersBackend) -> None:
    steps: list[int] = []
    context = GenerationContext()

    def on_progress(step: int, total: int) -> None:
        steps.append(step)
        context.cancel()

    context.on_progress = on_progress
    with pytest.raises(GenerationCanceled):
        backend.generate(spec(), context)
    assert steps == [1]


def test_canceled_before_start_runs_nothing(backend: DiffusersBackend) -> None:
    context = GenerationContext(on_progress=lambda s, t: pytest.fail("ran a step"))
    context.cancel()
    with pytest.raises(GenerationCanceled):
        backend.generate(spec(), context)


def test_an_error_inside_the_pipeline_becomes_generation_failed(backend: DiffusersBackend) -> None:
    def explode(step: int, total: int) -> None:
        raise RuntimeError("boom inside the denoising loop")

    with pytest.raises(GenerationFailed) as info:
        backend.generate(spec(), GenerationContext(on_progress=explode))
    assert isinstance(info.value.__cause__, RuntimeError)
    # the pipeline is still usable afterwards (its lock was released)
    backend.generate(spec(), GenerationContext())


def test_presets_with_the_same_weights_share_one_pipeline(backend: DiffusersBackend) -> None:
    backend.generate(spec(Style.realistic, Quality.fast), GenerationContext())
    backend.generate(spec(Style.anime, Quality.fast), GenerationContext())
    backend.generate(spec(Style.nude, Quality.fast), GenerationContext())
    # hires too, in this test: the module's backend is shared, and under xdist this test may
    # run on a worker where no other test of the module loaded SDXL first
    backend.generate(spec(Style.realistic, Quality.hires), GenerationContext())
    keys = backend.cache.loaded_keys()
    assert len(keys) == len(set(keys)) == 2  # one SD, one SDXL


def test_concurrent_generations_match_sequential_ones(backend: DiffusersBackend) -> None:
    expected = pixels(backend.generate(spec(seed=11), GenerationContext()))
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                pixels(backend.generate(spec(seed=11), GenerationContext()))
            )
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    assert all(np.array_equal(result, expected) for result in results)


def test_scheduler_swap_changes_the_image_and_is_per_preset(
    backend: DiffusersBackend, sized_registry: ModelRegistry
) -> None:
    swapped = DiffusersBackend(
        with_presets(
            sized_registry,
            anime_fast={
                "scheduler": "DDIMScheduler",
                "scheduler_options": {"timestep_spacing": "trailing"},
            },
        ),
        device="cpu",
    )
    try:
        euler = swapped.generate(spec(Style.realistic, seed=3), GenerationContext())
        ddim = swapped.generate(spec(Style.anime, seed=3), GenerationContext())
        euler_again = swapped.generate(spec(Style.realistic, seed=3), GenerationContext())
        assert not np.array_equal(pixels(euler), pixels(ddim))
        assert np.array_equal(pixels(euler), pixels(euler_again))
        loaded = swapped.cache.get(sized_registry.preset(Style.anime, Quality.fast))
        assert type(loaded.pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    finally:
        swapped.close()


def test_vae_tiling_follows_the_preset(
    backend: DiffusersBackend, sized_registry: ModelRegistry
) -> None:
    preset = sized_registry.preset(Style.realistic, Quality.fast)
    loaded = backend.cache.get(preset)
    with loaded.lock:
        assert loaded.prepare(preset.model_copy(update={"vae_tiling": True})).vae.use_tiling
        assert not loaded.prepare(preset).vae.use_tiling  # 64 px: auto is off
        big = preset.model_copy(update={"width": 2048, "height": 2048})
        assert loaded.prepare(big).vae.use_tiling
        loaded.prepare(preset)


def test_memory_budget_evicts_the_least_recently_used(sized_registry: ModelRegistry) -> None:
    small = DiffusersBackend(sized_registry, device="cpu", memory_budget_bytes=1)
    try:
        small.generate(spec(quality=Quality.fast), GenerationContext())
        sd_key = small.cache.loaded_keys()
        small.generate(spec(quality=Quality.hires), GenerationContext())
        keys = small.cache.loaded_keys()
        assert len(keys) == 1 and keys != sd_key
        loaded = small.cache.get(sized_registry.preset(Style.anime, Quality.hires))
        assert loaded.size_bytes == estimate_bytes(loaded.pipe) > 0
    finally:
        small.close()
    assert small.cache.loaded_keys() == []


def test_disabled_preset_is_refused_and_skipped_by_check_ready(
    sized_registry: ModelRegistry, tmp_path: Path
) -> None:
    registry = with_presets(
        sized_registry,
        nude_fast={"enabled": False, "pipeline": str(tmp_path / "absent")},
        nude_hires={"enabled": False},
    )
    backend = DiffusersBackend(registry, device="cpu")
    backend.check_ready()
    assert not backend.supports(Style.nude, Quality.fast)
    assert backend.supports(Style.anime, Quality.fast)
    for kind in ("i2i", "inpaint", "outpaint"):  # on pipelines made from the t2i one
        assert backend.supports(Style.anime, Quality.fast, kind)
    assert not backend.supports(Style.anime, Quality.fast, "t2v")  # no video here
    with pytest.raises(GenerationFailed, match="not available"):
        backend.generate(spec(Style.nude), GenerationContext())


def test_a_missing_folder_disables_its_preset_naming_the_key(
    sized_registry: ModelRegistry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere"
    backend = DiffusersBackend(
        with_presets(sized_registry, anime_hires={"pipeline": str(missing)}), device="cpu"
    )
    with caplog.at_level(logging.WARNING, logger="limner.backends.diffusers.backend"):
        backend.check_ready()  # the other presets serve: not fatal
        backend.check_ready()  # the same state found again says nothing more
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "limner.backends.diffusers.backend"
    ]
    assert len(warnings) == 1, warnings
    assert re.search(
        r"preset anime\.hires is disabled .*anime\.hires\.pipeline: model folder .*nowhere "
        r"does not exist",
        warnings[0],
    )
    assert not backend.supports(Style.anime, Quality.hires)
    assert backend.supports(Style.anime, Quality.fast) and backend.supports(
        Style.nude, Quality.hires
    )
    reason = backend.unavailable_reason(Style.anime, Quality.hires)
    assert reason is not None and "`pipeline` of [anime.hires]" in reason
    assert str(missing) not in reason  # what the caller sees names the key, not the path
    assert backend.unavailable_reason(Style.anime, Quality.fast) is None
    assert "does not exist" in backend.disabled()["anime.hires"]
    rows = {row["preset"]: row for row in backend.describe()}
    assert "does not exist" in str(rows["anime.hires"]["disabled"])
    assert "disabled" not in rows["anime.fast"]
    with pytest.raises(GenerationFailed, match=r"`pipeline` of \[anime\.hires\]"):
        backend.generate(spec(Style.anime, Quality.hires), GenerationContext())


def test_a_model_put_in_place_later_serves_after_the_next_check(
    sized_registry: ModelRegistry, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    later = tmp_path / "later"
    backend = DiffusersBackend(
        with_presets(sized_registry, realistic_fast={"pipeline": str(later)}), device="cpu"
    )
    backend.check_ready()
    assert not backend.supports(Style.realistic, Quality.fast)
    shutil.copytree(tiny_models["sd"], later)
    backend.check_ready()  # what `/readyz` does on each probe
    assert backend.supports(Style.realistic, Quality.fast)
    assert "realistic.fast" not in backend.disabled()


def test_start_fails_only_when_no_preset_can_serve(
    sized_registry: ModelRegistry, tmp_path: Path
) -> None:
    gone = {"pipeline": str(tmp_path / "gone")}
    registry = with_presets(
        sized_registry,
        **{f"{s.value}_{q.value}": gone for s in Style for q in Quality if s is not Style.nude},
        nude_fast={"enabled": False},
        nude_hires={"enabled": False},
    )
    with pytest.raises(ConfigurationError, match=r"no preset can serve.*realistic\.fast\.pipeline"):
        DiffusersBackend(registry, device="cpu").check_ready()


def test_a_missing_adult_checkpoint_hints_at_the_operator_supplied_one(
    sized_registry: ModelRegistry, tmp_path: Path
) -> None:
    backend = DiffusersBackend(
        with_presets(sized_registry, nude_fast={"pipeline": str(tmp_path / "adult")}), device="cpu"
    )
    backend.check_ready()
    assert re.search(r"operator supplies.*enabled = false", backend.disabled()["nude.fast"])
    assert not backend.supports(Style.nude, Quality.fast)
    assert backend.supports(Style.nude, Quality.hires)


def test_a_folder_that_is_no_diffusers_pipeline_disables_the_preset(
    sized_registry: ModelRegistry, tmp_path: Path
) -> None:
    (tmp_path / "weights.safetensors").write_bytes(b"")
    backend = DiffusersBackend(
        with_presets(sized_registry, realistic_fast={"pipeline": str(tmp_path)}), device="cpu"
    )
    backend.check_ready()
    assert re.search(
        r"realistic\.fast\.pipeline: .* has no model_index\.json",
        backend.disabled()["realistic.fast"],
    )


def test_an_uncached_hub_model_disables_the_preset(
    sized_registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backend = DiffusersBackend(
        with_presets(sized_registry, anime_fast={"pipeline": "limner-tests/not-a-real-model"}),
        device="cpu",
    )
    backend.check_ready()
    assert re.search(
        r"anime\.fast\.pipeline: Hub model .* not in the local", backend.disabled()["anime.fast"]
    )
    assert "\n" not in backend.disabled()["anime.fast"]  # one line in the log


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (
            {"pipeline_class": "NotAPipeline"},
            "realistic.hires.pipeline_class: 'NotAPipeline' is not",
        ),
        ({"scheduler": "NoSuchScheduler"}, "realistic.hires.scheduler: 'NoSuchScheduler' is not"),
    ],
)
def test_check_ready_names_unknown_classes(
    sized_registry: ModelRegistry, update: dict[str, str], message: str
) -> None:
    backend = DiffusersBackend(with_presets(sized_registry, realistic_hires=update), device="cpu")
    with pytest.raises(ConfigurationError, match=message):
        backend.check_ready()


def test_a_model_that_fails_to_load_fails_the_generation(
    sized_registry: ModelRegistry, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["sd"], broken)
    for weights in (broken / "unet").glob("*.safetensors"):
        weights.unlink()
    backend = DiffusersBackend(
        with_presets(sized_registry, realistic_fast={"pipeline": str(broken)}), device="cpu"
    )
    with pytest.raises(GenerationFailed, match="could not be loaded") as info:
        backend.generate(spec(), GenerationContext())
    assert isinstance(info.value.__cause__, ConfigurationError)


def test_preload_loads_everything_at_check_ready(sized_registry: ModelRegistry) -> None:
    backend = DiffusersBackend(sized_registry, device="cpu", preload=True)
    try:
        backend.check_ready()
        assert len(backend.cache.loaded_keys()) == 2
    finally:
        backend.close()


def test_from_settings_reads_the_models_file(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    from limner.config import Settings

    settings = Settings(
        data_dir=tmp_path,
        models_file=tiny_models["toml"],
        diffusers_device="cpu",
        diffusers_dtype="float32",
    )
    backend = DiffusersBackend.from_settings(settings)
    assert backend.registry.preset(Style.anime, Quality.hires).pipeline == str(tiny_models["sdxl"])
    assert backend.device.type == "cpu"
    packaged = DiffusersBackend.from_settings(Settings(data_dir=tmp_path, diffusers_device="cpu"))
    assert (
        packaged.registry.preset(Style.realistic, Quality.fast).pipeline == "stabilityai/sd-turbo"
    )


def test_device_and_dtype_choice() -> None:
    assert choose_device("cpu").type == "cpu"
    assert choose_dtype(torch.device("cpu")) is (
        torch.bfloat16 if cpu_has_bf16() else torch.float32
    )
    assert choose_dtype(torch.device("cpu"), "float32") is torch.float32
    assert choose_dtype(torch.device("cpu"), "bf16") is torch.bfloat16
    with pytest.raises(
        ConfigurationError, match="diffusers_dtype: float16 is not supported on cpu"
    ):
        choose_dtype(torch.device("cpu"), "float16")
    with pytest.raises(ConfigurationError, match="diffusers_dtype: 'fp8'"):
        choose_dtype(torch.device("cpu"), "fp8")
    with pytest.raises(ConfigurationError, match="diffusers_device: 'toaster'"):
        choose_device("toaster")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigurationError, match="no CUDA GPU"):
            choose_device("cuda")
        assert choose_device("auto").type in {"cpu", "mps"}


# -- CPU speed: the tiny decoder, threads, and what /readyz shows ---------------------------------


def test_tiny_vae_decodes_the_final_image_where_the_preset_says(
    tiny_registry: ModelRegistry, tiny_models: dict[str, Path]
) -> None:
    taesd = str(tiny_models["taesd"])
    registry = with_presets(
        tiny_registry,
        realistic_fast={"tiny_vae": taesd, "tiny_vae_use": "cpu"},
        anime_fast={"tiny_vae": taesd, "tiny_vae_use": "previews"},
    )
    backend = DiffusersBackend(registry, device="cpu", dtype="float32", threads=1)
    try:
        tiny = pixels(backend.generate(spec(Style.realistic), GenerationContext()))
        full = pixels(backend.generate(spec(Style.anime), GenerationContext()))
        again_full = pixels(backend.generate(spec(Style.anime), GenerationContext()))
        described = {row["preset"]: row for row in backend.describe()}
    finally:
        backend.close()
    assert tiny.shape == full.shape
    assert not np.array_equal(tiny, full)  # another decoder made it
    assert np.array_equal(full, again_full)  # the full VAE is put back for the next preset
    assert described["realistic.fast"]["decoder"] == f"tiny ({taesd})"
    assert described["anime.fast"]["decoder"] == "full"
    assert described["realistic.fast"]["threads"] == 1
    assert described["realistic.fast"]["dtype"] == "float32"
    assert described["realistic.fast"]["loaded"] is True
    assert torch.get_num_threads() == 1


def test_a_missing_tiny_vae_folder_disables_its_preset_naming_the_key(
    tiny_registry: ModelRegistry, tmp_path: Path
) -> None:
    registry = with_presets(tiny_registry, anime_fast={"tiny_vae": str(tmp_path / "nowhere")})
    backend = DiffusersBackend(registry, device="cpu")
    backend.check_ready()
    assert re.search(
        r"anime\.fast\.tiny_vae: .* not an AutoencoderTiny", backend.disabled()["anime.fast"]
    )
    reason = backend.unavailable_reason(Style.anime, Quality.fast)
    assert reason is not None and "`tiny_vae` of [anime.fast]" in reason
    assert backend.supports(Style.realistic, Quality.fast)  # same pipeline, no tiny decoder


def test_bfloat16_on_cpu_generates(tiny_registry: ModelRegistry) -> None:
    backend = DiffusersBackend(tiny_registry, device="cpu", dtype="bfloat16")
    try:
        image = backend.generate(spec(), GenerationContext()).image
    finally:
        backend.close()
    assert image.mode == "RGB" and image.size == (
        tiny_registry.preset(Style.realistic, Quality.fast).width,
        tiny_registry.preset(Style.realistic, Quality.fast).height,
    )


def test_a_missing_ip_adapter_disables_its_preset_naming_the_key(
    tiny_registry: ModelRegistry, tmp_path: Path
) -> None:
    registry = with_presets(
        tiny_registry,
        anime_fast={
            "ip_adapter": IpAdapterSpec(path=str(tmp_path / "nowhere"), weight_name="a.bin")
        },
    )
    backend = DiffusersBackend(registry, device="cpu")
    backend.check_ready()
    assert "anime.fast.ip_adapter.path" in backend.disabled()["anime.fast"]
    reason = backend.unavailable_reason(Style.anime, Quality.fast)
    assert reason is not None and "`ip_adapter.path` of [anime.fast]" in reason
    assert backend.supports(Style.realistic, Quality.fast)
    assert backend.reference_conditioning(Style.anime, Quality.fast)
    assert not backend.reference_conditioning(Style.realistic, Quality.fast)
