"""`DiffusersBackend`: real text-to-image generation with Hugging Face diffusers.

Each request's style and quality pick a preset from the model registry; the preset's pipeline is
loaded on first use (or at start-up with `preload`) and kept in a memory-bounded LRU cache. The seed
drives a CPU `torch.Generator`, so a seed gives the same image on any device of the same kind. After
every denoising step the pipeline calls back into `GenerationContext.report`, which raises
`GenerationCanceled` once the generation is canceled or timed out: work stops at the next step.

A preset whose model is missing (its pipeline folder, Hub cache entry, tiny decoder or LoRA) is
disabled at start with one warning line naming the preset and what to fix, and the other presets
serve: `supports()` answers False for it, so the plan refuses its requests (503) before any
credit is reserved, and `describe()` (the start-up lines and `/readyz`) says why. Only when no
preset can serve does `check_ready` stop the start.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import DiffusionPipeline
from PIL import Image

from limner.backends.base import (
    CharacterReferences,
    GenerationCanceled,
    GenerationContext,
    GenerationSpec,
    Media,
)
from limner.backends.batching import run_each
from limner.backends.diffusers.device import (
    choose_device,
    choose_dtype,
    choose_threads,
    device_memory_bytes,
    explain_choice,
)
from limner.backends.diffusers.hub import failure_reason
from limner.backends.diffusers.pipelines import (
    LoadedPipeline,
    LoadOptions,
    PipelineCache,
    hub_offline,
    load_pipeline,
    load_tiny_vae,
    resolve_pipeline_class,
    resolve_scheduler_class,
)
from limner.backends.diffusers.registry import (
    IpAdapterSpec,
    ModelPreset,
    ModelRegistry,
    VideoPreset,
    is_local_source,
    load_registry,
)
from limner.backends.diffusers.video import VideoMaker
from limner.config import Settings
from limner.domain.prompts import PromptOptions
from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError, GenerationFailed, LimnerError
from limner.media.video import available as video_available

__all__ = ["AUTO_BUDGET_FRACTION", "DiffusersBackend", "MissingModel"]

#: the kinds the video family makes
VIDEO_KINDS = ("t2v", "i2v")

log = logging.getLogger(__name__)

#: with no budget set, loaded pipelines may use this share of the GPU's memory
AUTO_BUDGET_FRACTION = 0.7
#: the kinds of job made here, and the pipeline task each runs on the preset's loaded weights
#: (outpaint is an inpaint on the enlarged canvas the plan prepared)
TASKS = {"t2i": "t2i", "i2i": "i2i", "inpaint": "inpaint", "outpaint": "inpaint"}
#: input pictures are resized to multiples of this (the latent grid of SD and SDXL)
SIZE_GRID = 8


class DiffusersBackend:
    """A `Backend` that runs diffusers pipelines. Safe to call from several worker threads."""

    name = "diffusers"

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        device: str = "auto",
        dtype: str = "auto",
        compile: bool = False,
        compile_mode: str = "auto",
        cuda_graphs: bool = False,
        memory_budget_bytes: int | None = None,
        offload: str = "none",
        download: bool = False,
        preload: bool = False,
        threads: int | None = None,
        channels_last: bool = True,
    ) -> None:
        self.registry = registry
        self.device = choose_device(device)
        self.dtype = choose_dtype(self.device, dtype)
        self._settings = (device, dtype)
        self.threads: int | None = None
        if self.device.type == "cpu":
            # torch's default may count hyper-threads or ignore the CPU set this process runs on
            self.threads = choose_threads(threads)
            torch.set_num_threads(self.threads)
        self.options = LoadOptions(
            device=self.device,
            dtype=self.dtype,
            offload=offload,
            compile=compile,
            compile_mode=compile_mode,
            cuda_graphs=cuda_graphs,
            # NHWC: oneDNN's fast path on CPU, the tensor cores' layout for convolutions on CUDA
            channels_last=channels_last and self.device.type in ("cpu", "cuda"),
        )
        self._tiny_vaes: dict[str, Any] = {}
        self._tiny_vae_lock = threading.Lock()
        if memory_budget_bytes is None:
            total = device_memory_bytes(self.device)
            memory_budget_bytes = int(total * AUTO_BUDGET_FRACTION) if total else None
        self.download = download
        #: only the first check (at start) downloads; later ones (`/readyz`) look locally
        self._may_download = download
        self.preload = preload
        self._cache = PipelineCache(self._load, budget_bytes=memory_budget_bytes)
        #: the video kinds, in the same memory budget as the image pipelines
        self._video = VideoMaker(self.options, self._cache.resident)
        #: enabled video presets whose model is missing (they make no videos; images serve)
        self._video_missing: dict[tuple[Style, Quality], MissingModel] = {}
        #: enabled presets whose model `check_ready` found missing: what is missing, and why;
        #: replaced whole on each check, so readers in other threads see one state or the other
        self._missing: dict[tuple[Style, Quality], MissingModel] = {}
        #: one check at a time (start-up, `/readyz` probes), so a change is reported once
        self._check_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> DiffusersBackend:
        """Build from the `LIMNER_MODELS_FILE` and `LIMNER_DIFFUSERS_*` settings."""
        models_file = settings.models_file
        return cls(
            load_registry(Path(models_file) if models_file else None),
            device=settings.diffusers_device,
            dtype=settings.diffusers_dtype,
            compile=settings.diffusers_compile,
            compile_mode=settings.diffusers_compile_mode,
            cuda_graphs=settings.diffusers_cuda_graphs,
            memory_budget_bytes=settings.diffusers_memory_budget_bytes,
            offload=settings.diffusers_offload,
            download=settings.diffusers_download,
            preload=settings.diffusers_preload,
            threads=settings.diffusers_threads,
            channels_last=settings.diffusers_channels_last,
        )

    # -- Backend -------------------------------------------------------------------------------

    def supports(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """Text to image, image to image, inpaint and outpaint (the latter three on pipelines
        made from the loaded text-to-image one), and text or image to video where the registry
        has a video preset; not for presets the operator disabled (`enabled = false`) or whose
        model `check_ready` found missing."""
        if kind in VIDEO_KINDS:
            video = self.registry.video_preset(style, quality)
            return (
                video is not None
                and video.enabled
                and (style, quality) not in self._video_missing
                and video_available()
            )
        return (
            kind in TASKS
            and self.registry.preset(style, quality).enabled
            and (style, quality) not in self._missing
        )

    def reference_conditioning(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """Image presets with an `[x.y.ip_adapter]` condition on a character's references (a
        video holds its character through the description and seed alone)."""
        if kind in VIDEO_KINDS:
            return False
        return self.registry.preset(style, quality).ip_adapter is not None

    def unavailable_reason(self, style: Style, quality: Quality, kind: str = "t2i") -> str | None:
        """For a preset disabled because its model is missing: what the operator configures
        (the models-file key, never a server path, since the caller sees it)."""
        missing = (self._video_missing if kind in VIDEO_KINDS else self._missing).get(
            (style, quality)
        )
        if (kind not in TASKS and kind not in VIDEO_KINDS) or missing is None:
            return None
        if kind in VIDEO_KINDS:
            return (
                f"Videos in the '{style.value}' style at '{quality.value}' quality are not "
                f"available on this server: the model is missing. The operator configures "
                f"`{missing.setting}` of [video.{style.value}.{quality.value}] in the models "
                "file (LIMNER_MODELS_FILE); see docs/models.md."
            )
        return (
            f"The '{style.value}' style at '{quality.value}' quality is not available on this "
            f"server: its model is missing. The operator configures `{missing.setting}` of "
            f"[{style.value}.{quality.value}] in the models file (LIMNER_MODELS_FILE); see "
            "docs/models.md."
        )

    def disabled(self) -> dict[str, str]:
        """Every preset out of service ("style.quality") and why, for `/readyz`."""
        reasons = {
            f"{style.value}.{quality.value}": "`enabled = false` in the models file"
            for style, quality, preset in self.registry.items()
            if not preset.enabled
        }
        for (style, quality), missing in self._missing.items():
            reasons[f"{style.value}.{quality.value}"] = missing.detail
        return reasons

    def native_size(self, style: Style, quality: Quality) -> tuple[int, int]:
        preset = self.registry.preset(style, quality)
        return preset.width, preset.height

    def prompt_options(
        self, style: Style, quality: Quality, gender: Gender | None
    ) -> PromptOptions:
        """The preset's trigger words and negative-prompt override, for the one prompt builder."""
        preset = self.registry.preset(style, quality)
        return PromptOptions(
            trigger_words=preset.trigger_for(gender), style_negative=preset.negative_prompt
        )

    def check_ready(self) -> None:
        """Disable (with one warning line each) the presets whose model is missing; raise
        `ConfigurationError` naming the key for a setting that cannot work (an unknown class,
        LoRA without peft) or when no preset can serve. Called at start and by `/readyz`: a
        model put in place later serves from then on."""
        with self._check_lock:
            self._check_ready()
        if self.preload:
            self.warm_up()

    def _check_ready(self) -> None:
        from diffusers.utils import is_peft_available

        enabled = self.registry.enabled_items()
        if not enabled:
            raise ConfigurationError(f"{self.registry.source}: every preset is disabled")
        found: set[tuple[str, str | None, str | None]] = set()
        missing: dict[tuple[Style, Quality], MissingModel] = {}
        for style, quality, preset in enabled:
            where = f"{self.registry.source}: {style.value}.{quality.value}"
            try:
                resolve_pipeline_class(preset.pipeline_class)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{where}.pipeline_class: {exc}") from exc
            if preset.scheduler is not None:
                try:
                    resolve_scheduler_class(preset.scheduler)
                except ConfigurationError as exc:
                    raise ConfigurationError(f"{where}.scheduler: {exc}") from exc
            if preset.lora is not None and not is_peft_available():
                raise ConfigurationError(
                    f"{where}.lora: LoRA presets need the 'peft' package: pip install peft"
                )
            problem = self._find_missing(preset, where, found)
            if problem is not None:
                missing[(style, quality)] = problem
        if len(missing) == len(enabled):
            raise ConfigurationError(
                "no preset can serve, every model is missing: "
                + "; ".join(problem.detail for problem in missing.values())
            )
        self._report_missing(missing)
        self._check_video(found)
        self._may_download = False

    def _check_video(self, found: set[tuple[str, str | None, str | None]]) -> None:
        """Video presets whose model is missing make no videos (one warning line each); they
        never stop the start: images serve without them."""
        missing: dict[tuple[Style, Quality], MissingModel] = {}
        for style, quality, preset in self.registry.video_items():
            where = f"{self.registry.source}: video.{style.value}.{quality.value}"
            for name in (preset.pipeline_class, preset.i2v_pipeline_class):
                try:
                    resolve_pipeline_class(name)
                except ConfigurationError as exc:
                    raise ConfigurationError(f"{where}.pipeline_class: {exc}") from exc
            problem = self._find_missing(preset, where, found)
            if problem is not None:
                missing[(style, quality)] = problem
                if (style, quality) not in self._video_missing:
                    log.warning(
                        "video preset %s.%s is disabled (t2v and i2v answer 503): %s",
                        style.value,
                        quality.value,
                        problem.detail,
                    )
        self._video_missing = missing

    def _find_missing(
        self,
        preset: ModelPreset | VideoPreset,
        where: str,
        found: set[tuple[str, str | None, str | None]],
    ) -> MissingModel | None:
        """What of the preset's models is missing (the first), or None; `found` remembers the
        sources already found, since presets often share one."""
        checks: list[tuple[str, Callable[[], None]]] = []
        if isinstance(preset, ModelPreset):  # a video preset has no LoRA nor IP-Adapter
            image_preset = preset
            if image_preset.lora is not None:
                checks.append(("lora.path", lambda: self._check_lora(image_preset, where)))
            if image_preset.ip_adapter is not None:
                checks.append(
                    ("ip_adapter.path", lambda: self._check_ip_adapter(image_preset, where))
                )
        source = (preset.pipeline, preset.variant, preset.tiny_vae)
        if source not in found:
            checks.append(("pipeline", lambda: self._check_pipeline_source(preset, where)))
            if preset.tiny_vae is not None:
                tiny = preset.tiny_vae
                checks.append(("tiny_vae", lambda: self._check_tiny_vae_source(tiny, where)))
        for setting, check in checks:
            try:
                check()
            except ConfigurationError as exc:
                # one line: a Hub error's text may carry line breaks
                return MissingModel(setting=setting, detail=" ".join(exc.message.split()))
        found.add(source)
        return None

    def _report_missing(self, missing: dict[tuple[Style, Quality], MissingModel]) -> None:
        """One warning line per preset when it goes out of service, one info line when it comes
        back; a check that finds the same state again says nothing."""
        before = self._missing
        for (style, quality), problem in missing.items():
            if (style, quality) not in before:
                log.warning(
                    "preset %s.%s is disabled (its requests answer 503; the other presets "
                    "serve): %s",
                    style.value,
                    quality.value,
                    problem.detail,
                )
        for style, quality in before.keys() - missing.keys():
            log.info("preset %s.%s has its model now and serves", style.value, quality.value)
        self._missing = missing

    def describe(self) -> list[dict[str, object]]:
        """What each enabled preset runs with, for the start-up log and `/readyz`; a disabled
        preset (its model missing, or `enabled = false`) says why under `disabled`."""
        loaded = set(self._cache.loaded_keys())
        disabled = self.disabled()
        execution = self.options.execution()
        return [
            {
                "preset": f"{style.value}.{quality.value}",
                "model": preset.pipeline,
                "device": str(self.device),
                "dtype": str(self.dtype).removeprefix("torch."),
                "threads": self.threads,
                "decoder": f"tiny ({preset.tiny_vae})"
                if preset.decodes_with_tiny_vae(self.device.type)
                else "full",
                "execution": execution,
                "max_batch": self._max_batch(preset),
                "loaded": preset.weights_key() in loaded,
                **(
                    {"disabled": disabled[f"{style.value}.{quality.value}"]}
                    if f"{style.value}.{quality.value}" in disabled
                    else {}
                ),
            }
            for style, quality, preset in self.registry.items()
        ]

    def device_summary(self) -> str:
        """Where the pipelines run, in which precision and why (printed at start)."""
        return explain_choice(
            self.device,
            self.dtype,
            device_setting=self._settings[0],
            dtype_setting=self._settings[1],
            threads=self.threads,
        )

    def warm_up(self) -> None:
        """Load every serving preset's pipeline; with `compile`, also run each once at batch 1
        and at its `max_batch` to compile; with `cuda_graphs`, at every batch bucket up to its
        `max_batch` to capture the graphs (logged with how long it took)."""
        for style, quality, preset in self.registry.enabled_items():
            if (style, quality) in self._missing:
                continue
            try:
                loaded = self._cache.get(preset)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{style.value}.{quality.value}: {exc}") from exc
            graphs = self.options.replays_cuda_graphs
            if self.options.compile or graphs:
                started = time.perf_counter()
                # an IP-Adapter preset is never batched (each image has its own references)
                most = 1 if preset.ip_adapter is not None else self._max_batch(preset)
                sizes = {1, most}
                if graphs:  # a graph per bucket (cuda_graphs.bucket): 1, 2, 4, ... max_batch
                    sizes = {b for b in (1, 2, 4, 8, 16, 32, 64) if b < most} | sizes
                for size in sorted(sizes):
                    with loaded.lock:
                        self._run(
                            loaded,
                            preset,
                            ["warm-up"] * size,
                            [""] * size,
                            steps=min(2, preset.steps),
                            seeds=list(range(size)),
                            contexts=[GenerationContext() for _ in range(size)],
                            extra=self._reference_inputs(loaded.pipe, preset, None),
                        )
                log.info(
                    "%s %s.%s (batch %s) in %.1f s",
                    "captured CUDA graphs of" if graphs else "compiled",
                    style.value,
                    quality.value,
                    " and ".join(str(size) for size in sorted(sizes)),
                    time.perf_counter() - started,
                )

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        """Run the preset's pipeline on the spec's built prompt (this backend builds none)."""
        context.raise_if_canceled()
        if spec.kind in VIDEO_KINDS:
            return self._generate_video(spec, context)
        preset = self.registry.preset(spec.style, spec.quality)
        if not self.supports(spec.style, spec.quality, spec.kind):
            # the plan refuses these before any credit is held; kept for direct callers
            raise GenerationFailed(
                self.unavailable_reason(spec.style, spec.quality, spec.kind)
                or f"The '{spec.style.value}' style at '{spec.quality.value}' quality "
                "is not available on this server."
            )
        try:
            loaded = self._cache.get(preset)
        except ConfigurationError as exc:
            log.error("cannot load the model for %s/%s: %s", spec.style, spec.quality, exc)
            raise GenerationFailed("The model for this style could not be loaded.") from exc
        task = TASKS[spec.kind]
        steps, call = self._task_arguments(task, spec, preset)
        with loaded.lock:
            context.raise_if_canceled()
            image = self._run(
                loaded,
                preset,
                spec.prompt,
                spec.negative_prompt,
                steps=steps,
                seed=spec.seed,
                context=context,
                task=task,
                call=call,
                extra=self._reference_inputs(loaded.pipe, preset, spec.character),
            )
        return Media.still(image)

    def _generate_video(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        video = self.registry.video_preset(spec.style, spec.quality)
        if video is None or not self.supports(spec.style, spec.quality, spec.kind):
            raise GenerationFailed(
                self.unavailable_reason(spec.style, spec.quality, spec.kind)
                or f"Videos in the '{spec.style.value}' style at '{spec.quality.value}' quality "
                "are not available on this server."
            )
        return self._video.generate(video, spec, context)

    def _reference_inputs(
        self, pipe: Any, preset: ModelPreset, character: CharacterReferences | None
    ) -> dict[str, Any]:
        """`ip_adapter_image_embeds` for a preset with an IP-Adapter (call with the pipeline's
        lock held). A character's embeddings are computed once, from its references, and kept
        in its cache; every later request reads them back and never runs the image encoder.
        A request without a character gets zero embeddings at scale 0 (the adapter's layers are
        in the UNet and need an input)."""
        adapter = preset.ip_adapter
        if adapter is None:
            return {}
        guided = preset.guidance > 1.0
        if character is None:
            width = int(pipe.image_encoder.config.projection_dim)
            embeds = torch.zeros((2 if guided else 1, 1, width))
            pipe.set_ip_adapter_scale(0.0)
        else:
            embeds = self._character_embeds(pipe, adapter, character)
            if not guided:  # stored with the unconditional half first, for guided presets
                embeds = embeds.chunk(2)[1]
            pipe.set_ip_adapter_scale(adapter.scale)
        return {"ip_adapter_image_embeds": [embeds.to(self.device, pipe.unet.dtype)]}

    def _character_embeds(
        self, pipe: Any, adapter: IpAdapterSpec, character: CharacterReferences
    ) -> torch.Tensor:
        from safetensors.torch import load, save

        key = f"{adapter.model_key}:{character.digest}"
        data = character.embeddings.load(key)
        if data is None:
            with torch.inference_mode():
                (embeds,) = pipe.prepare_ip_adapter_image_embeds(
                    ip_adapter_image=[list(character.load_images())],
                    ip_adapter_image_embeds=None,
                    device=self.device,
                    num_images_per_prompt=1,
                    do_classifier_free_guidance=True,
                )
            data = save({"embeds": embeds.detach().float().cpu().contiguous()})
            character.embeddings.store(key, data)
        return load(data)["embeds"]

    @staticmethod
    def _task_arguments(
        task: str, spec: GenerationSpec, preset: ModelPreset
    ) -> tuple[int, dict[str, Any]]:
        """Steps and pipeline arguments of a task: the input pictures resized to the model's
        size grid (the plan's kind brings the result back to the requested size)."""
        if task == "t2i":
            return preset.steps, {
                "width": spec.width or preset.width,
                "height": spec.height or preset.height,
            }
        width, height = grid_size(spec.inputs[0].size, preset.width * preset.height)
        image = spec.inputs[0].convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        if task == "i2i":
            strength = spec.strength if spec.strength is not None else 0.6
            # the pipeline runs int(steps * strength) steps: at least one, whatever the preset
            steps = max(preset.steps, math.ceil(1 / strength))
            return steps, {"image": image, "strength": strength}
        mask = spec.inputs[1].convert("L").resize((width, height), Image.Resampling.NEAREST)
        return preset.steps, {
            "image": image,
            "mask_image": mask,
            "width": width,
            "height": height,
            "strength": 1.0,
        }

    # -- batching (limner.devices.batching) ----------------------------------------------------

    def batch_key(self, spec: GenerationSpec) -> Hashable | None:
        """Text-to-image specs whose presets are the same settings share one pipeline call."""
        if spec.kind != "t2i" or spec.inputs:
            return None
        preset = self.registry.preset(spec.style, spec.quality)
        if self._max_batch(preset) < 2 or not self.supports(spec.style, spec.quality, spec.kind):
            return None
        if preset.ip_adapter is not None or spec.character is not None:
            return None  # reference embeddings are per image: made alone
        settings = preset.model_dump_json(exclude={"trigger_words", "negative_prompt"})
        return ("diffusers", settings, spec.width, spec.height)  # one shape per call

    def batch_cap(self, spec: GenerationSpec) -> int:
        return self._max_batch(self.registry.preset(spec.style, spec.quality))

    def _max_batch(self, preset: ModelPreset) -> int:
        """The preset's `max_batch`, but 1 for a compiled model on a CPU: each batch size is
        compiled apart (minutes each there), a shape-generic graph would serve batch 1 slower,
        and a batch gains little where the cores are already busy with one image."""
        if self.options.compile and self.device.type == "cpu":
            return 1
        return preset.max_batch

    def generate_batch(
        self, specs: Sequence[GenerationSpec], contexts: Sequence[GenerationContext]
    ) -> list[Media | BaseException]:
        """One pipeline call for every spec (same preset settings: `batch_key`), each image with
        its own prompt, seed, progress and previews. If the call fails, each image is made alone,
        so the failure stays with the image that causes it."""
        if len(specs) == 1:
            return run_each(self.generate, specs, contexts)
        first = specs[0]
        preset = self.registry.preset(first.style, first.quality)
        try:
            loaded = self._cache.get(preset)
        except ConfigurationError as exc:
            log.error("cannot load the model for %s/%s: %s", first.style, first.quality, exc)
            failed = GenerationFailed("The model for this style could not be loaded.")
            return [failed for _ in specs]
        try:
            with loaded.lock:
                images = self._run(
                    loaded,
                    preset,
                    [spec.prompt for spec in specs],
                    [spec.negative_prompt for spec in specs],
                    steps=preset.steps,
                    seeds=[spec.seed for spec in specs],
                    contexts=list(contexts),
                    call=self._task_arguments("t2i", first, preset)[1],
                )
        except GenerationCanceled:
            raise  # every image of the batch was canceled
        except GenerationFailed:
            log.warning("a batch of %d failed; making its images one by one", len(specs))
            return run_each(self.generate, specs, contexts)
        return [Media.still(image) for image in images]

    def close(self) -> None:
        self._cache.clear()
        with self._tiny_vae_lock:
            self._tiny_vaes.clear()

    # -- internals -----------------------------------------------------------------------------

    @property
    def cache(self) -> PipelineCache:
        return self._cache

    def _load(self, preset: ModelPreset) -> LoadedPipeline:
        return load_pipeline(preset, self.options)

    def _decoder_for(self, preset: ModelPreset) -> Any:
        """The tiny VAE this preset decodes its final image with here, or None (the full VAE)."""
        if preset.tiny_vae is None or not preset.decodes_with_tiny_vae(self.device.type):
            return None
        return self._tiny_vae(preset.tiny_vae)

    def _tiny_vae(self, source: str) -> Any:
        with self._tiny_vae_lock:  # a few MB each: kept for the process, outside the LRU budget
            if source not in self._tiny_vaes:
                self._tiny_vaes[source] = load_tiny_vae(source, self.options)
            return self._tiny_vaes[source]

    def _previewer(self, preset: ModelPreset, contexts: list[GenerationContext]) -> Any:
        """(latents, index) -> a rough picture of that image, with the preset's tiny decoder
        (any device), or None when no context wants previews."""
        if preset.tiny_vae is None or not any(c.wants_previews for c in contexts):
            return None
        try:
            decoder = self._tiny_vae(preset.tiny_vae)
        except ConfigurationError:
            return None  # previews are a nicety: the generation goes on without them

        def preview(latents: Any, index: int) -> Image.Image:
            # the tiny decoder reads the scaled latents of the sampler directly (TAESD's design)
            pixels = decoder.decode(latents[index : index + 1].to(decoder.dtype)).sample
            array = (pixels[0].float().clamp(-1, 1) + 1) * 127.5
            return Image.fromarray(array.permute(1, 2, 0).round().byte().cpu().numpy())

        return preview

    def _run(
        self,
        loaded: LoadedPipeline,
        preset: ModelPreset,
        positive: str | list[str],
        negative: str | list[str],
        *,
        steps: int,
        seed: int | None = None,
        context: GenerationContext | None = None,
        seeds: list[int] | None = None,
        contexts: list[GenerationContext] | None = None,
        task: str = "t2i",
        call: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """One pipeline call: a single image (`positive` a str, `seed`, `context`: returns the
        image) or a batch (lists, `seeds`, `contexts`: returns the list of images). `call`: the
        task's own pipeline arguments (size, input pictures, strength); `extra`: the reference
        conditioning (`ip_adapter_image_embeds`)."""
        single = isinstance(positive, str)
        contexts = [context or GenerationContext()] if single else list(contexts or [])
        try:
            decoder = self._decoder_for(preset)
        except ConfigurationError as exc:
            log.error("cannot load the tiny VAE of %s: %s", preset.pipeline, exc)
            raise GenerationFailed("The model for this style could not be loaded.") from exc
        pipe = loaded.prepare(preset, decoder, task)
        if call is None:
            call = {"width": preset.width, "height": preset.height}

        previewer = self._previewer(preset, contexts)

        def on_step_end(
            pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]
        ) -> dict[str, Any]:
            # Some schedulers take two model calls per step; num_timesteps counts them all.
            total = int(getattr(pipe, "num_timesteps", None) or steps)
            if all(each.canceled for each in contexts):
                raise GenerationCanceled()  # a canceled image of a batch is only dropped
            for index, each in enumerate(contexts):
                if each.canceled:
                    continue
                each.report(step + 1, total)
                if previewer is not None and each.wants_previews and step + 1 < total:
                    # the last step makes the real image
                    each.preview(previewer(kwargs["latents"], index))
            return kwargs

        # A CPU generator gives the same noise for a seed whatever the device; one per image, so
        # an image of a batch has the noise it would have alone.
        generators = [
            torch.Generator(device="cpu").manual_seed(each)
            for each in ([seed or 0] if single else (seeds or []))
        ]
        if single:
            negatives: str | list[str] | None = negative or None
        else:
            negatives = list(negative) if any(negative) else None
        try:
            with torch.inference_mode():
                result = pipe(
                    prompt=positive,
                    negative_prompt=negatives,
                    num_inference_steps=steps,
                    guidance_scale=preset.guidance,
                    generator=generators[0] if single else generators,
                    output_type="pil",
                    callback_on_step_end=on_step_end,
                    callback_on_step_end_tensor_inputs=["latents"],
                    **call,
                    **(extra or {}),
                )
        except LimnerError:
            raise
        except torch.OutOfMemoryError as exc:
            log.error("out of memory generating (%s) with %s: %s", task, preset.pipeline, exc)
            self._cache.clear()
            raise GenerationFailed("The generation service ran out of memory.") from exc
        except Exception as exc:
            log.exception("diffusers pipeline %s failed", preset.pipeline)
            raise GenerationFailed() from exc
        return result.images[0] if single else list(result.images)

    def check_source(self, preset: ModelPreset, where: str) -> None:
        """Raise `ConfigurationError` unless the preset's models (pipeline and tiny decoder) are
        in their folders or the Hub cache; with `download`, fetch what is missing."""
        self._check_pipeline_source(preset, where)
        if preset.tiny_vae is not None:
            self._check_tiny_vae_source(preset.tiny_vae, where)

    def _check_tiny_vae_source(self, source: str, where: str) -> None:
        from diffusers import AutoencoderTiny

        if is_local_source(source):
            if not (Path(source).expanduser() / "config.json").is_file():
                raise ConfigurationError(
                    f"{where}.tiny_vae: {source} is not an AutoencoderTiny folder (no config.json)"
                )
            return
        try:
            AutoencoderTiny.load_config(
                source, local_files_only=not self._may_download or hub_offline()
            )
            from huggingface_hub import snapshot_download

            snapshot_download(source, local_files_only=not self._may_download or hub_offline())
        except Exception as exc:  # huggingface_hub raises several unrelated types here
            raise ConfigurationError(
                f"{where}.tiny_vae: Hub model {source!r} is not in the local Hugging Face cache; "
                f"download it first (hf download {source}) or set LIMNER_DIFFUSERS_DOWNLOAD=true "
                f"({exc.__class__.__name__})"
            ) from exc

    def _check_pipeline_source(self, preset: ModelPreset | VideoPreset, where: str) -> None:
        if preset.is_local:
            folder = Path(preset.pipeline).expanduser()
            if not folder.is_dir():
                raise ConfigurationError(
                    f"{where}.pipeline: model folder {folder} does not exist"
                    + _ADULT_HINT * (where.rsplit(": ", 1)[-1].startswith("nude."))
                )
            if not (folder / "model_index.json").is_file():
                raise ConfigurationError(
                    f"{where}.pipeline: {folder} has no model_index.json; it must be a diffusers "
                    "pipeline folder (save a single-file checkpoint with save_pretrained first)"
                )
            return
        try:
            DiffusionPipeline.download(
                preset.pipeline,
                variant=preset.variant,
                local_files_only=not self._may_download or hub_offline(),
            )
        except Exception as exc:  # huggingface_hub raises several unrelated types here
            if self._may_download and not hub_offline():
                raise ConfigurationError(
                    f"{where}.pipeline: cannot download {preset.pipeline!r}: {failure_reason(exc)}"
                ) from exc
            raise ConfigurationError(
                f"{where}.pipeline: Hub model {preset.pipeline!r} is not in the local Hugging Face "
                f"cache ({os.environ.get('HF_HOME', '~/.cache/huggingface')}). Download it first "
                f"(hf download {preset.pipeline}) or set LIMNER_DIFFUSERS_DOWNLOAD=true."
            ) from exc

    def _check_ip_adapter(self, preset: ModelPreset, where: str) -> None:
        """The adapter's weights file is in its folder or the Hub cache (its image encoder is
        loaded with it: a broken one fails the first request, free)."""
        from huggingface_hub import try_to_load_from_cache

        adapter = preset.ip_adapter
        assert adapter is not None
        inside = "/".join(part for part in (adapter.subfolder, adapter.weight_name) if part)
        if is_local_source(adapter.path):
            if not (Path(adapter.path).expanduser() / inside).is_file():
                raise ConfigurationError(f"{where}.ip_adapter.path: {adapter.path} has no {inside}")
            return
        cached = try_to_load_from_cache(adapter.path, inside)  # the path inside the repo
        if not isinstance(cached, str) and (hub_offline() or not self._may_download):
            raise ConfigurationError(
                f"{where}.ip_adapter.path: {inside} of {adapter.path!r} is not in the local "
                f"Hugging Face cache (hf download {adapter.path} {inside})"
            )

    def _check_lora(self, preset: ModelPreset, where: str) -> None:
        from huggingface_hub import try_to_load_from_cache

        lora = preset.lora
        assert lora is not None
        path = Path(lora.path).expanduser()
        if path.exists() or lora.path.startswith(("/", ".", "~")):
            if not path.exists():
                raise ConfigurationError(f"{where}.lora.path: {path} does not exist")
            return
        if (
            lora.weight_name
            and not isinstance(try_to_load_from_cache(lora.path, lora.weight_name), str)
            and (hub_offline() or not self._may_download)
        ):
            raise ConfigurationError(
                f"{where}.lora.path: {lora.weight_name} of {lora.path!r} is not in the local "
                "Hugging Face cache"
            )


_ADULT_HINT = (
    "; the adult style needs a checkpoint the operator supplies (see the models file), "
    "or set `enabled = false` for it"
)


def grid_size(size: tuple[int, int], native_pixels: int) -> tuple[int, int]:
    """The size a picture of `size` is worked at: its aspect ratio, about the preset's native
    pixel count, each side a multiple of `SIZE_GRID`."""
    width, height = size
    scale = math.sqrt(native_pixels / (width * height))

    def snap(side: float) -> int:
        return max(SIZE_GRID, round(side * scale / SIZE_GRID) * SIZE_GRID)

    return snap(width), snap(height)


@dataclass(frozen=True)
class MissingModel:
    """Why an enabled preset cannot serve: the models-file key to fix and the whole story."""

    #: "pipeline", "tiny_vae" or "lora.path"
    setting: str
    #: one line naming the file, preset, key and path (the start-up warning, `/readyz`)
    detail: str
