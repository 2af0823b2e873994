"""Videos with diffusers: the video family of the registry (`[video.<style>.<quality>]`).

One loaded pipeline per weights (the text-to-video class, LTX-Video by default) serves both kinds:
image to video is built from it once with `from_pipe`, which shares every component, so the two
kinds cost one model's memory. Loaded pipelines live in the backend's `ResidentSet`, the same
memory budget as the image pipelines (least recently used out).

The frame count is the request's `duration_s x fps`, rounded up to what the model makes (LTX:
`k x 8 + 1`); the extra frame or two are delivered, not billed (studio spec). Each denoising step
reports progress and is where a cancel stops the work.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.diffusers.pipelines import (
    LoadOptions,
    _place,
    estimate_bytes,
    hub_offline,
    resolve_pipeline_class,
)
from limner.backends.diffusers.registry import VideoPreset
from limner.devices.residency import Resident, ResidentSet
from limner.errors import ConfigurationError, GenerationFailed, LimnerError

__all__ = ["LoadedVideoPipeline", "VideoMaker", "frames_for", "load_video_pipeline"]

log = logging.getLogger(__name__)


@dataclass
class LoadedVideoPipeline:
    """A text-to-video pipeline in memory, its lock, and the image-to-video one made from it."""

    pipe: Any
    size_bytes: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    _i2v: Any = None

    def for_kind(self, kind: str, preset: VideoPreset) -> Any:
        """The pipeline for `kind`; call with `lock` held."""
        if kind != "i2v":
            return self.pipe
        if self._i2v is None:
            cls = resolve_pipeline_class(preset.i2v_pipeline_class)
            self._i2v = cls.from_pipe(self.pipe)  # shares the weights: no second copy
            self._i2v.set_progress_bar_config(disable=True)
        return self._i2v


def load_video_pipeline(preset: VideoPreset, options: LoadOptions) -> LoadedVideoPipeline:
    """Load the preset's text-to-video weights; raises `ConfigurationError`."""
    cls = resolve_pipeline_class(preset.pipeline_class)
    source = str(Path(preset.pipeline).expanduser()) if preset.is_local else preset.pipeline
    kwargs: dict[str, Any] = {
        "torch_dtype": options.dtype,
        "local_files_only": preset.is_local or hub_offline(),
    }
    if preset.variant:
        kwargs["variant"] = preset.variant
    try:
        pipe = cls.from_pretrained(source, **kwargs)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot load video pipeline {preset.pipeline!r}: {exc}") from exc
    _place(pipe, options)
    pipe.set_progress_bar_config(disable=True)
    size = estimate_bytes(pipe)
    log.info(
        "loaded video %s (%s) on %s, about %.0f MiB",
        preset.pipeline,
        type(pipe).__name__,
        options.device,
        size / 2**20,
    )
    return LoadedVideoPipeline(pipe=pipe, size_bytes=size)


def frames_for(duration_s: int, fps: int, temporal_ratio: int) -> int:
    """At least `duration_s x fps` frames, as the model makes them: `k x ratio + 1`."""
    wanted = max(1, duration_s * fps)
    return math.ceil((wanted - 1) / temporal_ratio) * temporal_ratio + 1


class VideoMaker:
    """Makes the video kinds for a `DiffusersBackend`, in its device's memory budget."""

    def __init__(self, options: LoadOptions, resident: ResidentSet[Any]) -> None:
        self.options = options
        self.resident = resident

    def loaded(self, preset: VideoPreset) -> LoadedVideoPipeline:
        def load() -> Resident[Any]:
            loaded = load_video_pipeline(preset, self.options)
            return Resident(loaded, loaded.size_bytes)

        result: LoadedVideoPipeline = self.resident.get(preset.weights_key(), load)
        return result

    def generate(
        self, preset: VideoPreset, spec: GenerationSpec, context: GenerationContext
    ) -> Media:
        try:
            loaded = self.loaded(preset)
        except ConfigurationError as exc:
            log.error("cannot load the video model %s: %s", preset.pipeline, exc)
            raise GenerationFailed("The video model for this style could not be loaded.") from exc
        fps = spec.fps or preset.fps
        width = spec.width or preset.width
        height = spec.height or preset.height
        with loaded.lock:
            context.raise_if_canceled()
            pipe = loaded.for_kind(spec.kind, preset)
            ratio = int(getattr(pipe, "vae_temporal_compression_ratio", 8))
            count = frames_for(spec.duration_s or 1, fps, ratio)
            frames = self._run(pipe, preset, spec, context, fps, width, height, count)
        return Media.video(tuple(frames), fps)

    def _run(
        self,
        pipe: Any,
        preset: VideoPreset,
        spec: GenerationSpec,
        context: GenerationContext,
        fps: int,
        width: int,
        height: int,
        count: int,
    ) -> list[Image.Image]:
        def on_step_end(
            pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]
        ) -> dict[str, Any]:
            context.report(step + 1, int(getattr(pipe, "num_timesteps", None) or preset.steps))
            return kwargs

        call: dict[str, Any] = {
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt or preset.negative_prompt or None,
            "num_inference_steps": preset.steps,
            "guidance_scale": preset.guidance,
            "width": width,
            "height": height,
            "num_frames": count,
            "frame_rate": fps,
            "max_sequence_length": preset.max_sequence_length,
            # a CPU generator: the same seed gives the same video on any device of a kind
            "generator": torch.Generator(device="cpu").manual_seed(spec.seed),
            "output_type": "pil",
            "callback_on_step_end": on_step_end,
            "callback_on_step_end_tensor_inputs": ["latents"],
            **preset.call_options,
        }
        if spec.kind == "i2v":
            if not spec.inputs:
                raise GenerationFailed("An image-to-video job needs its image.")
            call["image"] = spec.inputs[0].convert("RGB").resize((width, height))
        try:
            with torch.inference_mode():
                result = pipe(**call)
        except LimnerError:
            raise
        except torch.OutOfMemoryError as exc:
            log.error("out of memory making %d frames of %dx%d: %s", count, width, height, exc)
            self.resident.clear()
            raise GenerationFailed("The generation service ran out of memory.") from exc
        except Exception as exc:
            log.exception("diffusers video pipeline %s failed", preset.pipeline)
            raise GenerationFailed() from exc
        return list(result.frames[0])
