"""CUDA graphs of the denoiser and VAE decoder (`limner.backends.diffusers.cuda_graphs`).

CI has no GPU, so these tests stand an eager recorder in for `torch.cuda.CUDAGraph`: it keeps
the captured work and, on replay, writes its result into the very output tensor the capture
returned, as a graph does. What they check is ours: static inputs refilled on each call, the
batch padded up to its bucket and cut back, one capture per bucket and shape, the pipelines'
pixels unchanged, and every call a graph cannot stand for left to the original. The real graphs
run in `bench/bench_throughput.py --gpu` (bench/results/throughput.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.diffusers import DiffusersBackend
from limner.backends.diffusers.cuda_graphs import (
    GraphedCall,
    bucket,
    graph_decoder,
    graph_denoiser,
)
from limner.backends.diffusers.registry import ModelRegistry
from limner.domain.styles import Quality, Style


class RecordedGraph:
    """Replays by rerunning the captured work into the same output tensor."""

    captures = 0

    def __init__(self, pool: Any = None) -> None:
        self.work: Callable[[], torch.Tensor] | None = None
        self.output: torch.Tensor | None = None
        self.replays = 0

    def capture(self, work: Callable[[], torch.Tensor]) -> torch.Tensor:
        RecordedGraph.captures += 1
        self.work = work
        self.output = work()
        return self.output

    def replay(self) -> None:
        assert self.work is not None and self.output is not None
        self.replays += 1
        self.output.copy_(self.work())


def cpu_call(name: str) -> GraphedCall:
    return GraphedCall(name, make_graph=RecordedGraph, device_type="cpu")


def test_buckets_are_powers_of_two_up_to_the_largest() -> None:
    assert [bucket(n) for n in (1, 2, 3, 4, 5, 8, 9, 128)] == [1, 2, 4, 4, 8, 8, 16, 128]
    assert bucket(129) is None


def test_a_call_pads_its_batch_refills_static_inputs_and_cuts_the_answer_back() -> None:
    call = cpu_call("sum")

    def work(tensors: list[torch.Tensor]) -> torch.Tensor:
        return tensors[0] * 2 + tensors[1]

    before = RecordedGraph.captures
    for batch in (3, 4, 3, 1):
        a, b = torch.randn(batch, 5), torch.randn(batch, 5)
        out = call([a, b], work)
        assert out.shape == (batch, 5)
        torch.testing.assert_close(out, a * 2 + b)
    # batches 3 and 4 share the bucket of 4; 1 has its own
    assert call.graphs == 2 and RecordedGraph.captures - before == 2
    # a batch over the largest bucket, or inputs of unequal batches, run as given
    big = torch.randn(200, 2)
    torch.testing.assert_close(call([big, big], work), big * 3)
    assert call.graphs == 2


def test_the_answer_is_a_copy_that_a_later_replay_does_not_change() -> None:
    call = cpu_call("copy")
    first = call([torch.ones(2, 3)], lambda t: t[0] + 0)
    call([torch.zeros(2, 3)], lambda t: t[0] + 0)
    assert torch.equal(first, torch.ones(2, 3))


@pytest.fixture(scope="module")
def pipe(tiny_models: dict[str, Path]) -> Any:
    from diffusers import StableDiffusionPipeline

    loaded = StableDiffusionPipeline.from_pretrained(
        tiny_models["sd"], safety_checker=None, requires_safety_checker=False
    )
    loaded.set_progress_bar_config(disable=True)
    return loaded


def render(pipe: Any, prompts: list[str], seeds: list[int]) -> np.ndarray:
    with torch.inference_mode():
        images = pipe(
            prompt=prompts,
            num_inference_steps=2,
            guidance_scale=2.0,  # classifier-free guidance: the denoiser sees twice the batch
            width=64,
            height=64,
            generator=[torch.Generator("cpu").manual_seed(s) for s in seeds],
            output_type="np",
        ).images
    return np.asarray(images)


def test_a_pipeline_makes_the_same_pixels_from_graphs(pipe: Any) -> None:
    prompts = ["a lighthouse at dusk", "a harbour in the rain", "a field of barley"]
    seeds = [1, 2, 3]
    eager = render(pipe, prompts, seeds)
    original_forward, original_decode = pipe.unet.forward, pipe.vae.decode
    try:
        denoiser = graph_denoiser(pipe.unet, cpu_call("denoiser"))
        decoder = graph_decoder(pipe.vae, cpu_call("VAE decoder"))
        graphed = render(pipe, prompts, seeds)
        again = render(pipe, prompts[:1], seeds[:1])
        # 3 images with guidance: a denoiser batch of 6 (bucket 8), a decoder batch of 3 (4);
        # then one image: 2 (bucket 2) and 1
        assert (denoiser.graphs, decoder.graphs) == (2, 2)
        np.testing.assert_allclose(graphed, eager, atol=1e-5)
        np.testing.assert_allclose(again, eager[:1], atol=1e-5)
        # the decoder's other form (a dataclass answer) is left to the original
        latents = torch.randn(1, 4, 8, 8)
        with torch.inference_mode():
            assert hasattr(pipe.vae.decode(latents), "sample")
            # and so is any positional argument (a video decoder's timestep takes that place)
            assert isinstance(pipe.vae.decode(latents, False), tuple)
        assert decoder.graphs == 2
    finally:
        pipe.unet.forward, pipe.vae.decode = original_forward, original_decode


def test_on_a_cpu_the_setting_changes_nothing(tiny_registry: ModelRegistry) -> None:
    spec = GenerationSpec(
        generation_id="g",
        prompt="a lighthouse at dusk",
        style=Style.realistic,
        quality=Quality.fast,
        seed=7,
    )
    made = []
    for graphs in (False, True):
        backend = DiffusersBackend(tiny_registry, device="cpu", cuda_graphs=graphs)
        try:
            result = backend.generate(spec, GenerationContext())
            assert isinstance(result, Media)
            made.append(np.asarray(result.image))
            pipe = backend.cache.get(tiny_registry.preset(Style.realistic, Quality.fast)).pipe
            assert "forward" not in vars(pipe.unet)  # no graphs installed off CUDA
        finally:
            backend.close()
    assert np.array_equal(made[0], made[1])
