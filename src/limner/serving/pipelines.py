"""What a Ray replica runs: a pipeline turns a batch of compatible requests into images.

A pipeline is loaded by a *loader*, `module:function(model_id) -> Pipeline`, named in
`LIMNER_RAY_PIPELINE_LOADER` and called inside the replica. `tiny_pipeline` is a small torch
network: deterministic per seed, fast on a CPU, and honest about batching (one batched forward
pass per step instead of one per image), for tests and `bench/`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from limner.errors import ConfigurationError


@dataclass(frozen=True)
class RenderRequest:
    """One image to make. Requests with equal `batch_key` may share one pipeline call."""

    model_id: str
    prompt: str
    seed: int
    width: int
    height: int
    steps: int
    #: the built negative prompt (the positive one is `prompt`): both come from the API's plan
    negative_prompt: str = ""

    @property
    def batch_key(self) -> tuple[str, int, int, int]:
        return (self.model_id, self.width, self.height, self.steps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderRequest:
        return cls(**data)


class Pipeline(Protocol):
    def __call__(self, requests: list[RenderRequest]) -> list[np.ndarray]:
        """One RGB uint8 array (height, width, 3) per request, in order; all share a batch_key."""
        ...


PipelineLoader = Callable[[str], Pipeline]


def load_loader(path: str) -> PipelineLoader:
    """`package.module:function` -> the function."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"LIMNER_RAY_PIPELINE_LOADER must look like 'package.module:function', got {path!r}"
        )
    try:
        loader: PipelineLoader = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import pipeline loader {path!r}: {exc}") from exc
    return loader


class TinyPipeline:
    """A 3-layer conv net applied `steps` times to seeded noise, then upscaled. Each model id
    gets its own weights (seeded from the id), so two models give two different images.

    It is deliberately narrow (16x16 latents, 16 channels), so that like a diffusion model on a
    GPU it is bound by per-call overhead rather than arithmetic, and a batch costs much less
    than its images one by one (on a CPU, 8 images batched take about half the time of 8 calls).
    """

    LATENT = 16
    CHANNELS = 16

    def __init__(self, model_id: str) -> None:
        import torch

        self.model_id = model_id
        self._torch = torch
        generator = torch.Generator().manual_seed(_stable_seed(model_id))
        self._net = torch.nn.Sequential(
            torch.nn.Conv2d(4, self.CHANNELS, 3, padding=1),
            torch.nn.Tanh(),
            torch.nn.Conv2d(self.CHANNELS, self.CHANNELS, 3, padding=1),
            torch.nn.Tanh(),
            torch.nn.Conv2d(self.CHANNELS, 4, 3, padding=1),
        ).eval()
        with torch.no_grad():
            for parameter in self._net.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)

    def __call__(self, requests: list[RenderRequest]) -> list[np.ndarray]:
        torch = self._torch
        first = requests[0]
        if any(request.batch_key != first.batch_key for request in requests):
            raise ValueError("a pipeline call takes requests with one batch_key only")
        latents = torch.stack(
            [
                torch.randn(
                    4,
                    self.LATENT,
                    self.LATENT,
                    generator=torch.Generator().manual_seed(request.seed),
                )
                for request in requests
            ]
        )
        with torch.inference_mode():
            for _ in range(first.steps):
                latents = latents - 0.1 * self._net(latents)
            rgb = torch.sigmoid(latents[:, :3])
            rgb = torch.nn.functional.interpolate(
                rgb, size=(first.height, first.width), mode="nearest"
            )
        pixels = (rgb.permute(0, 2, 3, 1) * 255).to(torch.uint8).numpy()
        return [np.ascontiguousarray(image) for image in pixels]


def tiny_pipeline(model_id: str) -> TinyPipeline:
    return TinyPipeline(model_id)


def _stable_seed(text: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


class DiffusersPipeline:
    """A diffusers text-to-image pipeline (a hub id or a local folder as `model_id`), one
    batched call per group: a prompt and a seeded generator per image."""

    def __init__(self, model_id: str) -> None:
        try:
            import torch
            from diffusers import AutoPipelineForText2Image
        except ImportError as exc:
            raise ImportError(
                "The diffusers pipeline needs the 'diffusers' extra: "
                "pip install 'limner[diffusers]' (install torch first)"
            ) from exc
        self._torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self._pipe = AutoPipelineForText2Image.from_pretrained(model_id, torch_dtype=dtype)
        self._pipe.to(self.device)
        self._pipe.set_progress_bar_config(disable=True)

    def __call__(self, requests: list[RenderRequest]) -> list[np.ndarray]:
        first = requests[0]
        generators = [
            self._torch.Generator(self.device).manual_seed(request.seed) for request in requests
        ]
        output = self._pipe(
            prompt=[request.prompt for request in requests],
            negative_prompt=[request.negative_prompt for request in requests]
            if any(request.negative_prompt for request in requests)
            else None,
            width=first.width,
            height=first.height,
            num_inference_steps=first.steps,
            generator=generators,
            output_type="np",
        )
        return [(image * 255).round().astype(np.uint8) for image in output.images]

    def __del__(self) -> None:
        # evicted by the multiplexer: give the GPU memory back now, not at the next collection
        self._pipe = None
        if getattr(self, "device", "") == "cuda":
            self._torch.cuda.empty_cache()


def diffusers_pipeline(model_id: str) -> DiffusersPipeline:
    return DiffusersPipeline(model_id)
