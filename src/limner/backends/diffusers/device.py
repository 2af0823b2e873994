"""Where the pipelines run and in which precision: CUDA, then Apple MPS, then CPU, unless set."""

from __future__ import annotations

import torch

from limner.errors import ConfigurationError

__all__ = ["DTYPES", "choose_device", "choose_dtype", "device_memory_bytes"]

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


def choose_dtype(device: torch.device, preference: str = "auto") -> torch.dtype:
    """ "auto": bfloat16 on GPUs that support it, else float16; float32 on CPU."""
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
    return torch.float32


def device_memory_bytes(device: torch.device) -> int | None:
    """Total memory of a CUDA device; None where it is not known (cpu, mps)."""
    if device.type != "cuda":
        return None
    index = device.index if device.index is not None else torch.cuda.current_device()
    return int(torch.cuda.get_device_properties(index).total_memory)
