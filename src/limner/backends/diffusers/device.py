"""Where the pipelines run, in which precision and with how many threads.

Device: CUDA, then Apple MPS, then CPU, unless set. Precision on CPU: bfloat16 where the processor
computes it in hardware (AVX-512 BF16, AMX, or Arm's BF16 extension; oneDNN then runs the UNet about
3-4x faster than float32 at the same output), else float32, said in the log.
"""

from __future__ import annotations

import logging
import os
import platform
from pathlib import Path

import torch

from limner.errors import ConfigurationError

__all__ = [
    "DTYPES",
    "choose_device",
    "choose_dtype",
    "choose_threads",
    "cpu_has_bf16",
    "device_memory_bytes",
    "explain_choice",
]

log = logging.getLogger(__name__)

#: accepted values of LIMNER_DIFFUSERS_DTYPE besides "auto"
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def choose_device(preference: str = "auto") -> torch.device:
    """ "auto" picks cuda, then mps, then cpu; an explicit device must exist ("cuda:1", "cpu")."""
    preference = (preference or "auto").strip().lower()
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, ValueError) as exc:
        raise ConfigurationError(
            f"diffusers_device: {preference!r} is not a device (use auto, cuda, cuda:N, mps or cpu)"
        ) from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigurationError(
                "diffusers_device: cuda was requested but no CUDA GPU is usable"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigurationError(
                f"diffusers_device: {preference} does not exist "
                f"({torch.cuda.device_count()} CUDA device(s))"
            )
    elif device.type == "mps" and not _mps_available():
        raise ConfigurationError("diffusers_device: mps was requested but MPS is not available")
    elif device.type not in {"cpu", "cuda", "mps"}:
        raise ConfigurationError(f"diffusers_device: unsupported device type {device.type!r}")
    return device


def cpu_has_bf16() -> bool:
    """True when this CPU computes bfloat16 in hardware (x86 AVX-512 BF16 or AMX, Arm BF16)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    for name in probes:
        probe = getattr(torch.cpu, name, None)
        if probe is not None and probe():
            return True
    if platform.machine().lower() in {"aarch64", "arm64"}:
        try:
            flags = Path("/proc/cpuinfo").read_text().split()
        except OSError:
            return False
        return "bf16" in flags
    return False


def choose_threads(preference: int | None = None) -> int:
    """Intra-op threads for the CPU: the setting, else every core this process may run on."""
    if preference is not None:
        return preference
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def choose_dtype(device: torch.device, preference: str = "auto") -> torch.dtype:
    """ "auto": bfloat16 on GPUs that support it, else float16; on CPU bfloat16 where the hardware
    has it, else float32."""
    preference = (preference or "auto").strip().lower()
    if preference != "auto":
        try:
            dtype = DTYPES[preference]
        except KeyError as exc:
            raise ConfigurationError(
                f"diffusers_dtype: {preference!r} is not one of auto, {', '.join(DTYPES)}"
            ) from exc
        if device.type == "cpu" and dtype is torch.float16:
            raise ConfigurationError("diffusers_dtype: float16 is not supported on cpu")
        return dtype
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    if cpu_has_bf16():
        return torch.bfloat16
    log.info("this CPU has no bfloat16 instructions: running in float32")
    return torch.float32


def device_memory_bytes(device: torch.device) -> int | None:
    """Total memory of a CUDA device; None where it is not known (cpu, mps)."""
    if device.type != "cuda":
        return None
    index = device.index if device.index is not None else torch.cuda.current_device()
    return int(torch.cuda.get_device_properties(index).total_memory)


def explain_choice(
    device: torch.device,
    dtype: torch.dtype,
    *,
    device_setting: str = "auto",
    dtype_setting: str = "auto",
    threads: int | None = None,
) -> str:
    """One line for the start: where the models run, in which precision, and why."""
    if (device_setting or "auto").strip().lower() != "auto":
        where = f"{device} (LIMNER_DIFFUSERS_DEVICE)"
    elif device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        where = f"{device} ({torch.cuda.get_device_name(index)})"
    elif device.type == "mps":
        where = "mps (Apple GPU)"
    else:
        where = "cpu (no CUDA GPU or Apple MPS found)"
    name = str(dtype).removeprefix("torch.")
    if (dtype_setting or "auto").strip().lower() != "auto":
        why = "LIMNER_DIFFUSERS_DTYPE"
    elif device.type == "cuda":
        why = "the GPU supports it" if dtype is torch.bfloat16 else "no bfloat16 on this GPU"
    elif device.type == "mps":
        why = "Apple MPS"
    elif dtype is torch.bfloat16:
        why = "this CPU computes bfloat16 in hardware"
    else:
        why = "this CPU has no bfloat16 instructions"
    cores = f", {threads} threads" if threads else ""
    return f"diffusers runs on {where} in {name} ({why}){cores}"
