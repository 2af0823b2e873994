"""Loading diffusers pipelines and keeping them: from a Hub id or local folder, with the preset's
scheduler, LoRA and memory options, in an LRU cache bounded by an estimate of their memory.

A loaded pipeline is shared by every preset with the same weights (`ModelPreset.weights_key`) and
guarded by its own lock, because diffusers pipelines are not safe to call from two threads; the
scheduler and VAE options are set per call, under that lock.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diffusers
import torch
from diffusers import (
    AutoPipelineForImage2Image,
    AutoPipelineForInpainting,
    AutoPipelineForText2Image,
    DiffusionPipeline,
)

from limner.backends.diffusers.cuda_graphs import graph_decoder, graph_denoiser
from limner.backends.diffusers.registry import ModelPreset, is_local_source
from limner.devices.residency import Resident, ResidentSet
from limner.errors import ConfigurationError

__all__ = [
    "LoadOptions",
    "LoadedPipeline",
    "PipelineCache",
    "estimate_bytes",
    "hub_offline",
    "load_pipeline",
    "load_tiny_vae",
    "resolve_pipeline_class",
    "resolve_scheduler_class",
]

log = logging.getLogger(__name__)

#: VAE tiling turns on by itself above this many pixels on the longer side
AUTO_TILING_ABOVE_PX = 1024


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set: never reach the Hub, use the local cache only."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_pipeline_class(name: str) -> type[Any]:
    """ "auto" -> AutoPipelineForText2Image, else a DiffusionPipeline subclass from diffusers."""
    if name == "auto":
        return AutoPipelineForText2Image
    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, DiffusionPipeline)):
        raise ConfigurationError(f"{name!r} is not a diffusers pipeline class")
    return cls


def resolve_scheduler_class(name: str) -> type[Any]:
    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and hasattr(cls, "from_config") and "Scheduler" in name):
        raise ConfigurationError(f"{name!r} is not a diffusers scheduler class")
    return cls


@dataclass(frozen=True)
class LoadOptions:
    device: torch.device
    dtype: torch.dtype
    #: "none", "model" (whole models move to the GPU in turn) or "sequential" (layer by layer)
    offload: str = "none"
    compile: bool = False
    #: a `torch.compile` mode, or "auto" (`compile_arguments`)
    compile_mode: str = "auto"
    #: replay the denoiser and VAE decoder from CUDA graphs (`cuda_graphs`); CUDA, no offload,
    #: not with `compile` (whose "reduce-overhead" mode makes graphs itself)
    cuda_graphs: bool = False
    #: NHWC memory layout for the UNet and decoders: oneDNN's fast path for convolutions on CPU
    channels_last: bool = False

    @property
    def replays_cuda_graphs(self) -> bool:
        """Whether loaded models replay from CUDA graphs: asked for, and on CUDA, not offloaded,
        not compiled."""
        return (
            self.cuda_graphs
            and not self.compile
            and self.device.type == "cuda"
            and self.offload == "none"
        )

    def execution(self) -> str:
        """How the denoiser and decoder run, in words (`/readyz`, the start-up lines)."""
        if self.compile:
            arguments = compile_arguments(self.device, self.compile_mode)
            return f"torch.compile ({arguments.get('mode') or 'default, frozen weights'})"
        return "CUDA graphs" if self.replays_cuda_graphs else "eager"


@dataclass
class LoadedPipeline:
    """One pipeline in memory, with its lock and the schedulers its presets asked for."""

    key: Hashable
    pipe: Any
    size_bytes: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    _schedulers: dict[Hashable, Any] = field(default_factory=dict)
    #: the pipeline's own VAE, put back whenever a preset does not decode with a tiny one
    full_vae: Any = field(default=None, init=False)
    #: whether attention slicing is on now (pipelines load without it)
    attention_slicing: bool = field(default=False, init=False)
    #: image-to-image and inpainting pipelines made from `pipe` (`from_pipe`): they share its
    #: components, so they cost no second copy of the weights
    _derived: dict[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._schedulers[None] = self.pipe.scheduler
        self.full_vae = getattr(self.pipe, "vae", None)

    def for_task(self, task: str) -> Any:
        """The pipeline for `task` ("t2i", "i2i" or "inpaint") over the same loaded weights;
        call with `lock` held."""
        if task == "t2i":
            return self.pipe
        if task not in self._derived:
            auto = {"i2i": AutoPipelineForImage2Image, "inpaint": AutoPipelineForInpainting}[task]
            self._derived[task] = auto.from_pipe(self.pipe)
        return self._derived[task]

    def prepare(self, preset: ModelPreset, decoder: Any = None, task: str = "t2i") -> Any:
        """Set the preset's scheduler, decoder (`decoder`, a tiny VAE, or None for the
        pipeline's own) and VAE options on the pipeline for `task`; call with `lock` held."""
        pipe = self.for_task(task)
        pipe.scheduler = self._scheduler_for(preset)
        if self.full_vae is not None:
            pipe.vae = decoder if decoder is not None else self.full_vae
        vae = getattr(pipe, "vae", None)
        tiling = preset.vae_tiling
        if tiling is None:
            tiling = max(preset.width, preset.height) > AUTO_TILING_ABOVE_PX
        if vae is not None and hasattr(vae, "enable_tiling"):
            vae.enable_tiling() if tiling else vae.disable_tiling()
        # only on a change: both calls replace every attention processor, which would drop an
        # IP-Adapter's (they are put there by `load_ip_adapter`, once)
        if preset.attention_slicing != self.attention_slicing:
            if preset.attention_slicing:
                pipe.enable_attention_slicing()
            elif hasattr(pipe, "disable_attention_slicing"):
                pipe.disable_attention_slicing()
            self.attention_slicing = preset.attention_slicing
        return pipe

    def _scheduler_for(self, preset: ModelPreset) -> Any:
        if preset.scheduler is None:
            return self._schedulers[None]
        key = (preset.scheduler, tuple(sorted(preset.scheduler_options.items())))
        if key not in self._schedulers:
            cls = resolve_scheduler_class(preset.scheduler)
            base = self._schedulers[None].config
            self._schedulers[key] = cls.from_config(base, **preset.scheduler_options)
        return self._schedulers[key]


def estimate_bytes(pipe: Any) -> int:
    """Bytes held by the parameters and buffers of every torch module in the pipeline."""
    total = 0
    for component in getattr(pipe, "components", {}).values():
        if isinstance(component, torch.nn.Module):
            for tensor in (*component.parameters(), *component.buffers()):
                total += tensor.numel() * tensor.element_size()
    return total


def load_pipeline(preset: ModelPreset, options: LoadOptions) -> LoadedPipeline:
    """Load the preset's weights, LoRA and device placement. Raises `ConfigurationError`."""
    cls = resolve_pipeline_class(preset.pipeline_class)
    source = str(Path(preset.pipeline).expanduser()) if preset.is_local else preset.pipeline
    local_only = preset.is_local or hub_offline()
    kwargs: dict[str, Any] = {"torch_dtype": options.dtype, "local_files_only": local_only}
    if preset.variant:
        kwargs["variant"] = preset.variant
    try:
        model_index = DiffusionPipeline.load_config(source, local_files_only=local_only)
        if "safety_checker" in model_index:
            # Limner screens images itself; the diffusers checker would only blank them.
            kwargs.update(safety_checker=None, requires_safety_checker=False)
        pipe = cls.from_pretrained(source, **kwargs)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot load pipeline {preset.pipeline!r}: {exc}") from exc
    if preset.lora is not None:
        _fuse_lora(pipe, preset, local_only=local_only or _looks_local(preset.lora.path))
    if preset.ip_adapter is not None:
        _load_ip_adapter(
            pipe, preset, local_only=hub_offline() or _looks_local(preset.ip_adapter.path)
        )
    _place(pipe, options)
    if options.channels_last:
        _to_channels_last(pipe)
    pipe.set_progress_bar_config(disable=True)
    if options.compile:
        _compile(pipe, options)
    elif options.replays_cuda_graphs:
        _graph(pipe)
    size = estimate_bytes(pipe)
    log.info(
        "loaded %s (%s) on %s, about %.0f MiB",
        preset.pipeline,
        type(pipe).__name__,
        options.device,
        size / 2**20,
    )
    return LoadedPipeline(key=preset.weights_key(), pipe=pipe, size_bytes=size)


def load_tiny_vae(source: str, options: LoadOptions) -> Any:
    """A tiny VAE decoder (`AutoencoderTiny`, the TAESD family) from a Hub id or local folder."""
    from diffusers import AutoencoderTiny

    local = is_local_source(source)
    path = str(Path(source).expanduser()) if local else source
    try:
        vae = AutoencoderTiny.from_pretrained(
            path, torch_dtype=options.dtype, local_files_only=local or hub_offline()
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot load tiny VAE {source!r}: {exc}") from exc
    vae.to(options.device)
    if options.channels_last:
        vae.to(memory_format=torch.channels_last)
    if options.compile:
        _compile_decode(vae, compile_arguments(options.device, options.compile_mode))
    log.info("loaded tiny VAE decoder %s on %s", source, options.device)
    return vae


def _to_channels_last(pipe: Any) -> None:
    for name in ("unet", "vae"):
        module = getattr(pipe, name, None)
        if isinstance(module, torch.nn.Module):
            module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]


def _looks_local(path: str) -> bool:
    return Path(path).expanduser().exists()


def _fuse_lora(pipe: Any, preset: ModelPreset, *, local_only: bool) -> None:
    from diffusers.utils import is_peft_available

    lora = preset.lora
    assert lora is not None
    if not is_peft_available():
        raise ConfigurationError("LoRA presets need the 'peft' package: pip install peft")
    kwargs: dict[str, Any] = {"adapter_name": "limner", "local_files_only": local_only}
    if lora.weight_name:
        kwargs["weight_name"] = lora.weight_name
    try:
        pipe.load_lora_weights(
            str(Path(lora.path).expanduser()) if local_only else lora.path, **kwargs
        )
        # Fusing bakes the LoRA into the weights: no per-step adapter cost, no per-call state.
        pipe.fuse_lora(lora_scale=lora.scale, adapter_names=["limner"])
        pipe.unload_lora_weights()
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"cannot load LoRA {lora.path!r}: {exc}") from exc


def _load_ip_adapter(pipe: Any, preset: ModelPreset, *, local_only: bool) -> None:
    """The preset's IP-Adapter and its image encoder, through diffusers' own loader; the scale is
    set per call (0 for a request without a character)."""
    adapter = preset.ip_adapter
    assert adapter is not None
    if not hasattr(pipe, "load_ip_adapter"):
        raise ConfigurationError(f"{type(pipe).__name__} cannot load an IP-Adapter")
    source = str(Path(adapter.path).expanduser()) if _looks_local(adapter.path) else adapter.path
    try:
        pipe.load_ip_adapter(
            source,
            subfolder=adapter.subfolder,
            weight_name=adapter.weight_name,
            image_encoder_folder=adapter.image_encoder,
            local_files_only=local_only,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"cannot load IP-Adapter {adapter.path!r}: {exc}") from exc


def _place(pipe: Any, options: LoadOptions) -> None:
    if options.offload == "none":
        pipe.to(options.device)
        return
    if options.device.type != "cuda":
        raise ConfigurationError("diffusers_offload needs a CUDA device")
    if options.offload == "model":
        pipe.enable_model_cpu_offload(device=options.device)
    elif options.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=options.device)
    else:
        raise ConfigurationError(
            f"diffusers_offload: {options.offload!r} is not one of none, model, sequential"
        )


def compile_arguments(device: torch.device, mode: str) -> dict[str, Any]:
    """`torch.compile`'s keyword arguments for the `compile_mode` setting on `device`. "auto" is
    "max-autotune-no-cudagraphs" on a GPU (kernel autotuning pays for itself there) and, on a
    CPU, the default mode with frozen weights: inductor folds the weights in as constants and
    pre-packs them for oneDNN's kernels, where autotuning would take many minutes (on a Zen 4
    without AMX freezing measured no faster than without, and no slower: bench/results/cpu.md).
    Freezing is safe because a loaded model's weights never change (LoRAs are fused before
    compiling)."""
    if mode != "auto":
        return {"mode": mode}
    if device.type == "cuda":
        return {"mode": "max-autotune-no-cudagraphs"}
    return {"options": {"freezing": True}}  # torch.compile takes a mode or options, not both


def _compile(pipe: Any, options: LoadOptions) -> None:
    """`torch.compile` the denoiser and the VAE decoder: the two that run per image. Compiling
    happens on the first call (`DiffusersBackend.warm_up` makes it before serving). A mode with
    CUDA graphs ("max-autotune", "reduce-overhead") records one graph per shape: per batch size."""
    arguments = compile_arguments(options.device, options.compile_mode)
    for name in ("unet", "transformer"):
        module = getattr(pipe, name, None)
        if isinstance(module, torch.nn.Module):
            setattr(pipe, name, torch.compile(module, fullgraph=False, **arguments))
    _compile_decode(getattr(pipe, "vae", None), arguments)


def _compile_decode(vae: Any, arguments: dict[str, Any]) -> None:
    decode: Callable[..., Any] | None = getattr(vae, "decode", None)
    if isinstance(vae, torch.nn.Module) and decode is not None:
        setattr(vae, "decode", torch.compile(decode, fullgraph=False, **arguments))  # noqa: B010 - an instance attribute over the method


def _graph(pipe: Any) -> None:
    """CUDA graphs for the denoiser (a UNet; transformers take other arguments) and the VAE
    decoder; `limner.backends.diffusers.cuda_graphs` says why."""
    unet = getattr(pipe, "unet", None)
    if isinstance(unet, torch.nn.Module):
        graph_denoiser(unet)
    vae = getattr(pipe, "vae", None)
    if isinstance(vae, torch.nn.Module) and callable(getattr(vae, "decode", None)):
        graph_decoder(vae)


def release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class PipelineCache:
    """The text-to-image pipelines of this backend, kept in the device's `ResidentSet`.

    The set owns "what is loaded within the budget" (least recently used out); other kinds of
    model on the same device (inpainting, reference encoders, video) pass the same set and their
    own keys, so they share one budget. Eviction only drops the reference; a generation already
    running keeps its pipeline until it finishes.
    """

    def __init__(
        self,
        loader: Callable[[ModelPreset], LoadedPipeline],
        *,
        budget_bytes: int | None = None,
        resident: ResidentSet[LoadedPipeline] | None = None,
    ) -> None:
        self._loader = loader
        self.resident: ResidentSet[LoadedPipeline] = resident or ResidentSet(
            budget_bytes=budget_bytes, on_evict=lambda _keys: release_memory()
        )

    @property
    def budget_bytes(self) -> int | None:
        return self.resident.budget_bytes

    def get(self, preset: ModelPreset) -> LoadedPipeline:
        def load() -> Resident[LoadedPipeline]:
            loaded = self._loader(preset)
            return Resident(loaded, loaded.size_bytes)

        return self.resident.get(preset.weights_key(), load)

    def loaded_keys(self) -> list[Hashable]:
        """Keys from least to most recently used."""
        return self.resident.loaded_keys()

    def clear(self) -> None:
        self.resident.clear()
