"""The diffusers backend: real generation with Hugging Face diffusers (torch imported here only).

    DiffusersBackend   the `Backend` (backend.py)
    registry           the models file: style x quality presets, pure (no torch)
    pipelines          loading, scheduler and LoRA, the memory-bounded pipeline cache
    device             device and dtype choice

`registry` imports without torch; `DiffusersBackend` is loaded on first access, so importing it
where torch or diffusers is missing raises `ImportError` (which `create_backend` turns into a
message naming the `diffusers` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["DiffusersBackend"]

if TYPE_CHECKING:
    from limner.backends.diffusers.backend import DiffusersBackend


def __getattr__(name: str) -> Any:
    if name == "DiffusersBackend":
        from limner.backends.diffusers.backend import DiffusersBackend

        return DiffusersBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
