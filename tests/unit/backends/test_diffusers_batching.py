"""DiffusersBackend.generate_batch on tiny random-weight pipelines: one pipeline call, each image
with its own prompt, seed, progress and cancel, the same pixels as made alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from limner.backends.base import GenerationCanceled, GenerationContext, GenerationSpec, Media
from limner.backends.batching import BatchingBackend
from limner.backends.diffusers import DiffusersBackend
from limner.backends.diffusers.registry import ModelRegistry
from limner.domain.styles import Quality, Style
from limner.errors import GenerationFailed
from tests.support.tiny_pipelines import TINY_STEPS
from tests.unit.backends.conftest import with_presets


def spec(name: str, seed: int, prompt: str, style: Style = Style.realistic) -> GenerationSpec:
    return GenerationSpec(
        generation_id=name, prompt=prompt, style=style, quality=Quality.fast, seed=seed
    )


def pixels(result: object) -> np.ndarray:
    assert isinstance(result, Media), result
    return np.asarray(result.image, dtype=np.int16)


@pytest.fixture(scope="module")
def backend(tiny_registry: ModelRegistry):  # type: ignore[no-untyped-def]
    backend = DiffusersBackend(tiny_registry, device="cpu")
    yield backend
    backend.close()


def test_it_batches_and_the_shape_decides_who_shares_a_call(backend: DiffusersBackend) -> None:
    assert isinstance(backend, BatchingBackend)
    a = spec("a", 1, "a lighthouse at dusk")
    # realistic.fast and anime.fast use the same tiny model and settings: one call serves both
    assert backend.batch_key(a) == backend.batch_key(spec("b", 2, "x", Style.anime))
    hires = GenerationSpec(
        generation_id="h", prompt="x", style=Style.realistic, quality=Quality.hires, seed=1
    )
    assert backend.batch_key(a) != backend.batch_key(hires)
    assert backend.batch_cap(a) == 4


def test_a_batch_makes_what_each_spec_makes_alone(backend: DiffusersBackend) -> None:
    specs = [
        spec("a", 11, "a lighthouse at dusk"),
        spec("b", 12, "a harbour in the rain"),
        spec("c", 11, "a harbour in the rain"),
    ]
    progress: dict[str, list[tuple[int, int]]] = {s.generation_id: [] for s in specs}
    contexts = [
        GenerationContext(on_progress=lambda st, t, n=s.generation_id: progress[n].append((st, t)))
        for s in specs
    ]
    batch = backend.generate_batch(specs, contexts)
    alone = [backend.generate(s, GenerationContext()) for s in specs]
    for together, single in zip(batch, alone, strict=True):
        # batched matrix products may round differently in the last bit: a level at most
        assert np.abs(pixels(together) - pixels(single)).max() <= 2
    assert np.abs(pixels(batch[0]) - pixels(batch[1])).max() > 10  # own prompt and seed
    assert np.abs(pixels(batch[1]) - pixels(batch[2])).max() > 10  # own seed
    for name in progress:
        assert progress[name] == [(step, TINY_STEPS) for step in range(1, TINY_STEPS + 1)]


def test_a_canceled_image_stops_only_when_every_image_is(backend: DiffusersBackend) -> None:
    specs = [spec("a", 1, "a lighthouse at dusk"), spec("b", 2, "a lighthouse at dusk")]
    contexts = [GenerationContext(), GenerationContext()]
    contexts[0].cancel()  # the runner drops it afterwards; the call goes on for the other
    results = backend.generate_batch(specs, contexts)
    assert isinstance(results[1], Media)
    both = [GenerationContext(), GenerationContext()]
    for each in both:
        each.cancel()
    with pytest.raises(GenerationCanceled):
        backend.generate_batch(specs, both)


def test_a_failed_call_is_retried_one_by_one_so_the_error_stays_with_its_image(
    tiny_registry: ModelRegistry,
) -> None:
    backend = DiffusersBackend(with_presets(tiny_registry), device="cpu")
    specs = [spec("good", 1, "a lighthouse at dusk"), spec("bad", 2, "a lighthouse at dusk")]

    def explode(step: int, total: int) -> None:
        raise RuntimeError("this image's progress hook breaks")

    contexts = [GenerationContext(), GenerationContext(on_progress=explode)]
    results = backend.generate_batch(specs, contexts)
    assert isinstance(results[0], Media)
    assert isinstance(results[1], GenerationFailed)
    backend.close()


# torch's compiler imports modules that use deprecated torch.jit decorators
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compile_wraps_the_denoiser_and_the_vae_decoder(tiny_models) -> None:  # type: ignore[no-untyped-def]
    """What `LIMNER_DIFFUSERS_COMPILE` sets up; compiling itself happens on the first call
    (start-up's warm-up on a GPU), which this test does not make."""
    from limner.backends.diffusers.pipelines import LoadOptions, load_pipeline, load_tiny_vae
    from limner.backends.diffusers.registry import load_registry

    preset = load_registry(tiny_models["toml"]).preset(Style.realistic, Quality.fast)
    options = LoadOptions(device=torch.device("cpu"), dtype=torch.float32, compile=True)
    loaded = load_pipeline(preset, options)
    assert type(loaded.pipe.unet).__name__ == "OptimizedModule"
    assert hasattr(loaded.pipe.vae.decode, "_torchdynamo_orig_callable")
    tiny = load_tiny_vae(str(tiny_models["taesd"]), options)  # it decodes every image too
    assert hasattr(tiny.decode, "_torchdynamo_orig_callable")


def test_compile_arguments_per_device_and_mode() -> None:
    from limner.backends.diffusers.pipelines import compile_arguments

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    # auto: autotuned kernels on a GPU; on a CPU the default mode with frozen weights (the two
    # cannot be asked for together: torch.compile takes a mode or options)
    assert compile_arguments(cuda, "auto") == {"mode": "max-autotune-no-cudagraphs"}
    assert compile_arguments(cpu, "auto") == {"options": {"freezing": True}}
    assert compile_arguments(cpu, "reduce-overhead") == {"mode": "reduce-overhead"}


def test_what_each_preset_says_it_runs_with() -> None:
    from limner.backends.diffusers.pipelines import LoadOptions

    cuda = torch.device("cuda")
    graphs = LoadOptions(device=cuda, dtype=torch.float16, cuda_graphs=True)
    assert graphs.replays_cuda_graphs and graphs.execution() == "CUDA graphs"
    # offloaded or compiled models are not graphed, and do not say they are
    offloaded = LoadOptions(device=cuda, dtype=torch.float16, cuda_graphs=True, offload="model")
    assert not offloaded.replays_cuda_graphs and offloaded.execution() == "eager"
    compiled = LoadOptions(device=cuda, dtype=torch.float16, cuda_graphs=True, compile=True)
    assert not compiled.replays_cuda_graphs
    assert compiled.execution() == "torch.compile (max-autotune-no-cudagraphs)"


def test_a_compiled_model_on_a_cpu_is_not_batched(tiny_registry: ModelRegistry) -> None:
    """Each batch size would be compiled apart, minutes each on a CPU: batch 1 only."""
    compiled = DiffusersBackend(tiny_registry, device="cpu", compile=True)
    eager = DiffusersBackend(tiny_registry, device="cpu")
    one = spec("a", 1, "a lighthouse at dusk")
    assert eager.batch_cap(one) == 4 and eager.batch_key(one) is not None
    assert compiled.batch_cap(one) == 1 and compiled.batch_key(one) is None
    # /readyz and the start-up lines say so
    row = {each["preset"]: each for each in compiled.describe()}["realistic.fast"]
    assert row["execution"] == "torch.compile (default, frozen weights)" and row["max_batch"] == 1
    assert {each["preset"]: each for each in eager.describe()}["realistic.fast"]["execution"] == (
        "eager"
    )
    compiled.close()
    eager.close()
