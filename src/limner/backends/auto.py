"""`LIMNER_BACKEND=auto`: diffusers where a model can be had, else the placeholder, labelled.

`choose_backend` answers which backend a process serves with, and why, in one line:

* the diffusers extra is missing -> placeholder;
* every Hub model the wanted presets need is in the local Hugging Face cache -> diffusers, with
  no network at all;
* some are missing and this is `limner serve` (`fetch=True`): one look at the hub (a short
  timeout, no retries), a size estimate from the hub's file metadata and the free disk, then the
  download with the hub client's progress bars (a connection dropped mid-file resumes with a
  `Range` request from the last whole 10 MiB chunk; files already fetched stay for the next
  start) -> diffusers;
* the hub cannot be reached, the disk is too small, or a download fails -> placeholder, and the
  reason is the banner every surface shows (start-up, `/readyz`, each generation's `backend`, the
  playground).

Which presets are wanted (`LIMNER_AUTO_MODELS`): the `fast` ones; `hires` too when asked or on a
CUDA GPU with the memory and disk for it. A preset whose model is still missing is disabled by
the diffusers backend as before (503 naming the setting); the others serve. Nothing here imports
torch or diffusers until the answer needs them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from limner.backends.diffusers.hub import failure_reason
from limner.backends.diffusers.registry import (
    ModelPreset,
    ModelRegistry,
    is_local_source,
    load_registry,
)
from limner.config import AutoModels, BackendName, Settings
from limner.domain.styles import Quality

__all__ = [
    "BackendChoice",
    "HubSource",
    "choose_backend",
    "disk_fits_hires",
    "estimate_files",
    "gpu_fits_hires",
    "human_size",
    "placeholder_notice",
]

log = logging.getLogger(__name__)

#: a GPU smaller than this does not fetch the `hires` (SDXL) models unless asked
HIRES_MIN_GPU_BYTES = 12 * 1024**3
#: free disk kept beyond the download itself (the cache, the data dir, the OS)
DISK_HEADROOM_BYTES = 1024**3
#: free disk beyond both downloads before `fit` adds the `hires` models
HIRES_DISK_HEADROOM_BYTES = 10 * 1024**3

_WEIGHTS = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx", ".pb", ".h5")

Say = Callable[[str], None]


@dataclass(frozen=True)
class HubSource:
    """One Hub repository a preset needs: a diffusers pipeline (in a variant) or a tiny decoder."""

    repo: str
    kind: str  #: "pipeline" or "tiny_vae"
    variant: str | None = None

    @property
    def label(self) -> str:
        return f"{self.repo} ({self.variant})" if self.variant else self.repo


@dataclass(frozen=True)
class BackendChoice:
    """What `auto` picked, with the one-line reason every surface shows."""

    name: BackendName
    reason: str
    #: Hub models fetched by this start
    fetched: tuple[str, ...] = field(default_factory=tuple)

    @property
    def notice(self) -> str | None:
        return placeholder_notice(self.reason) if self.name is BackendName.placeholder else None


def placeholder_notice(reason: str) -> str:
    """The banner of a placeholder server: one line, impossible to take for real output."""
    return (
        "PLACEHOLDER BACKEND: images are generated test cards, not a model's output. "
        f"Why: {reason}. See docs/models.md."
    )


def human_size(size: int) -> str:
    """Bytes for people: 2.6 GB, 9.8 MB, 512 B (decimal units, as the hub shows them)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def estimate_files(
    files: dict[str, int], *, components: Iterable[str], variant: str | None
) -> dict[str, int]:
    """The files (and sizes) a diffusers pipeline download takes from a repo listing: root
    configs, each component folder's configs, and its safetensors weights in the asked variant
    where the folder has it, else the plain ones. An estimate: it follows diffusers' own choice
    for the usual layouts (a single-file checkpoint at the root is not taken)."""
    folders = set(components)
    chosen: dict[str, int] = {}
    weights: dict[str, dict[str, int]] = {}
    for name, size in files.items():
        folder, _, base = name.rpartition("/")
        if not folder:
            if not base.endswith(_WEIGHTS) and base.endswith((".json", ".txt")):
                chosen[name] = size
            continue
        if folder.split("/")[0] not in folders:
            continue
        if base.endswith(_WEIGHTS):
            if base.endswith(".safetensors"):
                weights.setdefault(folder, {})[name] = size
            continue
        chosen[name] = size
    for folder_files in weights.values():
        tagged = {n: s for n, s in folder_files.items() if variant and f".{variant}" in n}
        plain = {n: s for n, s in folder_files.items() if _variant_of(n) is None}
        chosen.update(tagged or plain)
    return chosen


def _variant_of(name: str) -> str | None:
    """`unet/diffusion_pytorch_model.fp16.safetensors` -> "fp16"; None for the plain file."""
    parts = name.rsplit("/", 1)[-1].split(".")
    if len(parts) < 3:
        return None
    tag = parts[-2].split("-")[0]
    return tag if tag and tag != "safetensors" else None


def choose_backend(settings: Settings, *, fetch: bool, say: Say | None = None) -> BackendChoice:
    """The backend `auto` serves with. `fetch` (the `limner serve` start) may reach the hub and
    download; without it only the local cache counts, so a worker process or the app factory
    never touches the network."""
    say = say or (lambda _line: None)
    if not _diffusers_installed():
        return BackendChoice(
            BackendName.placeholder,
            "the diffusers extra is not installed (pip install 'limner[diffusers]')",
        )
    registry = load_registry(Path(settings.models_file) if settings.models_file else None)
    return _Chooser(settings, registry, say).choose(fetch=fetch)


def _diffusers_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "diffusers"))


class _Chooser:
    def __init__(self, settings: Settings, registry: ModelRegistry, say: Say) -> None:
        self.settings = settings
        self.registry = registry
        self.say = say
        self._cached: dict[HubSource, bool] = {}

    def choose(self, *, fetch: bool) -> BackendChoice:
        enabled = self.registry.enabled_items()
        fast = [preset for _s, quality, preset in enabled if quality is Quality.fast]
        hires = [preset for _s, quality, preset in enabled if quality is Quality.hires]
        wanted = fast + hires if self.settings.auto_models is AutoModels.all else fast
        missing = self._missing_sources(wanted)
        problem: str | None = None
        fetched: tuple[str, ...] = ()
        if fetch:
            extra = self._hires_extra(hires, missing)
            if missing or extra:
                problem, fetched = self._fetch(missing, extra=extra)
        serving = [
            f"{style.value}.{quality.value}"
            for style, quality, preset in enabled
            if self._available(preset)
        ]
        if serving:
            return BackendChoice(
                BackendName.diffusers,
                f"the models of {', '.join(serving)} are on this machine",
                fetched,
            )
        if problem is None:
            names = ", ".join(sorted({s.label for s in missing})) or "none"
            problem = (
                f"the models ({names}) are not in the local Hugging Face cache, and only "
                "`limner serve` fetches them, on its start"
                if not fetch
                else "no enabled preset has a model this server can use"
            )
        return BackendChoice(BackendName.placeholder, problem, fetched)

    # -- what is here ------------------------------------------------------------------------

    def _sources(self, preset: ModelPreset) -> list[HubSource]:
        sources = []
        if not preset.is_local:
            sources.append(HubSource(preset.pipeline, "pipeline", preset.variant))
        if preset.tiny_vae is not None and not is_local_source(preset.tiny_vae):
            sources.append(HubSource(preset.tiny_vae, "tiny_vae"))
        return sources

    def _available(self, preset: ModelPreset) -> bool:
        if preset.is_local and not _has(preset.pipeline, "model_index.json"):
            return False
        tiny = preset.tiny_vae
        if tiny is not None and is_local_source(tiny) and not _has(tiny, "config.json"):
            return False
        return all(self._is_cached(source) for source in self._sources(preset))

    def _missing_sources(self, presets: list[ModelPreset]) -> list[HubSource]:
        missing: list[HubSource] = []
        for preset in presets:
            for source in self._sources(preset):
                if source not in missing and not self._is_cached(source):
                    missing.append(source)
        return missing

    def _is_cached(self, source: HubSource) -> bool:
        if source not in self._cached:
            self._cached[source] = _in_local_cache(source)
        return self._cached[source]

    # -- fetching ----------------------------------------------------------------------------

    def _hires_extra(self, hires: list[ModelPreset], taken: list[HubSource]) -> list[HubSource]:
        """`fit`: the hires models still missing, where this machine has a CUDA GPU big enough
        for them (the disk is weighed with the sizes, in `_fetch`)."""
        if self.settings.auto_models is not AutoModels.fit:
            return []
        extra = [s for s in self._missing_sources(hires) if s not in taken]
        return extra if extra and gpu_fits_hires(_cuda_memory()) else []

    def _fetch(
        self, missing: list[HubSource], *, extra: list[HubSource]
    ) -> tuple[str | None, tuple[str, ...]]:
        """Estimate, check the disk, download `missing` (and `extra`, the hires models, where the
        disk has room to spare). Returns why it could not (or None) and what it fetched."""
        from huggingface_hub import constants

        if constants.HF_HUB_OFFLINE:
            return "HF_HUB_OFFLINE is set, so the models cannot be fetched", ()
        endpoint = constants.ENDPOINT
        sizes: dict[HubSource, int] = {}
        for source in missing:
            try:
                sizes[source] = self._estimate(source, first=not sizes)
            except _Unreachable as exc:
                return f"the model hub ({endpoint}) cannot be reached: {exc}", ()
            except Exception as exc:  # the hub client raises many unrelated types
                return f"the model hub ({endpoint}) did not list {source.label}: {_reason(exc)}", ()
        total = sum(sizes.values())
        free, where = _free_disk()
        if free < total + DISK_HEADROOM_BYTES:
            return (
                f"the models need {human_size(total)} and {where} has {human_size(free)} free",
                (),
            )
        extra_sizes: dict[HubSource, int] = {}
        try:
            for source in extra:
                extra_sizes[source] = self._estimate(source, first=not sizes and not extra_sizes)
        except Exception as exc:  # hires is a bonus: the fast models go on without it
            log.info("not fetching the hires models: %s", _reason(exc))
            extra_sizes = {}
        if extra_sizes and disk_fits_hires(free=free, fast=total, hires=sum(extra_sizes.values())):
            sizes.update(extra_sizes)
            total = sum(sizes.values())
        if not sizes:
            return None, ()
        self.say(
            f"First start: fetching {len(sizes)} model(s) from {endpoint}, "
            f"about {human_size(total)} in all ({human_size(free)} free in {where}):"
        )
        for source, size in sizes.items():
            self.say(f"  {source.label}: {human_size(size)} ({size} bytes)")
        fetched: list[str] = []
        for source in sizes:
            try:
                _download(source)
            except Exception as exc:  # the hub client raises many unrelated types
                self._cached[source] = False
                return (
                    f"the download of {source.label} from {endpoint} failed ({_reason(exc)}); "
                    "the next start fetches what is still missing",
                    tuple(fetched),
                )
            self._cached[source] = True
            fetched.append(source.repo)
            self.say(f"  fetched {source.label}")
        return None, tuple(fetched)

    def _estimate(self, source: HubSource, *, first: bool) -> int:
        """Bytes the download of `source` takes, from the hub's file metadata. The first call is
        the look at the hub: one try within `auto_hub_timeout_s`."""
        from huggingface_hub import HfApi, hf_hub_download

        timeout = self.settings.auto_hub_timeout_s
        try:
            info = HfApi().model_info(source.repo, files_metadata=True, timeout=timeout)
        except Exception as exc:
            if first and _is_network_error(exc):
                raise _Unreachable(_reason(exc)) from exc
            raise
        files = {s.rfilename: int(s.size or 0) for s in info.siblings or []}
        if source.kind != "pipeline":
            return sum(files.values())  # a tiny decoder's whole repo is fetched
        index = json.loads(Path(hf_hub_download(source.repo, "model_index.json")).read_text())
        components = [k for k, v in index.items() if isinstance(v, list) and not k.startswith("_")]
        return sum(estimate_files(files, components=components, variant=source.variant).values())


def gpu_fits_hires(memory: int | None) -> bool:
    """`fit` fetches the hires (SDXL) models only for a CUDA GPU of `memory` bytes this big; on a
    CPU or Apple MPS (None) a 1024 px SDXL image takes minutes, so they wait until asked."""
    return memory is not None and memory >= HIRES_MIN_GPU_BYTES


def disk_fits_hires(*, free: int, fast: int, hires: int) -> bool:
    """Room for both downloads with `HIRES_DISK_HEADROOM_BYTES` to spare."""
    return free >= fast + hires + HIRES_DISK_HEADROOM_BYTES


def _cuda_memory() -> int | None:
    import torch

    if not torch.cuda.is_available():
        return None
    return int(torch.cuda.get_device_properties(0).total_memory)


class _Unreachable(Exception):
    """The first look at the hub got no answer."""


def _in_local_cache(source: HubSource) -> bool:
    """The same test the diffusers backend makes at start, on the local cache only; a repo with
    no file cached answers without importing diffusers."""
    from huggingface_hub import try_to_load_from_cache

    marker = "model_index.json" if source.kind == "pipeline" else "config.json"
    if not isinstance(try_to_load_from_cache(source.repo, marker), str):
        return False
    try:
        if source.kind == "pipeline":
            from diffusers import DiffusionPipeline

            DiffusionPipeline.download(source.repo, variant=source.variant, local_files_only=True)
        else:
            from huggingface_hub import snapshot_download

            snapshot_download(source.repo, local_files_only=True)
    except Exception:  # not (wholly) cached: the hub client raises several types
        return False
    return True


def _download(source: HubSource) -> None:
    """Fetch with the hub client's progress bars; the same calls the backend's check makes."""
    if source.kind == "pipeline":
        from diffusers import DiffusionPipeline

        DiffusionPipeline.download(source.repo, variant=source.variant)
    else:
        from huggingface_hub import snapshot_download

        snapshot_download(source.repo)


def _free_disk() -> tuple[int, str]:
    """Free bytes where the Hugging Face cache lives (its nearest existing folder)."""
    from huggingface_hub import constants

    where = Path(constants.HF_HUB_CACHE).expanduser()
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free, str(where)


#: httpx / httpx2 / requests names of "no answer came": the hub client's library varies by release
_NETWORK_ERRORS = {
    "ConnectError",
    "ConnectTimeout",
    "TimeoutException",
    "NetworkError",
    "RemoteProtocolError",
    "ConnectionError",
    "OfflineModeIsEnabled",
}


def _has(folder: str, marker: str) -> bool:
    return (Path(folder).expanduser() / marker).is_file()


def _is_network_error(error: BaseException) -> bool:
    """A connection that never got an answer (refused, no route, DNS, a timeout), whichever
    HTTP library the hub client raised it from."""
    chain: list[BaseException] = [error]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(cause)
    for each in chain:
        if isinstance(each, (OSError, TimeoutError)):
            return True
        if {cls.__name__ for cls in type(each).__mro__} & _NETWORK_ERRORS:
            return True
    return False


def _reason(error: BaseException) -> str:
    return " ".join(failure_reason(error).split())
