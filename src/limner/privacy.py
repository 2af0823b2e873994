"""What a Limner process may leave behind: no third-party telemetry, no files outside its folders.

Operators choose a self-hosted server so that prompts and images stay on their machines. Several
dependencies phone home or write tracking files by default (onnxruntime 1.30 writes
`/tmp/mat-debug-<pid>.log` and a SQLite database under `~/.cache/Microsoft` on import). Their
documented switches are set here, from `limner/__init__.py`, before any of them is imported.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: environment switches, each the library's own documented opt-out (docs/deployment.md lists them)
TELEMETRY_SWITCHES: dict[str, str] = {
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime (image screening)
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub, and through it diffusers and transformers
    "DISABLE_TELEMETRY": "1",  # older diffusers and transformers releases
    "RAY_USAGE_STATS_ENABLED": "0",  # Ray's usage statistics (the Ray Serve tier)
    "DO_NOT_TRACK": "1",  # the cross-tool convention, honoured by huggingface_hub and others
}


def disable_third_party_telemetry() -> None:
    """Turn every known telemetry switch off. A promise of the product, so not configurable."""
    os.environ.update(TELEMETRY_SWITCHES)


def scratch_dir(data_dir: Path) -> Path:
    """The data dir's own temporary folder."""
    return data_dir / "tmp"


def confine_scratch_files(data_dir: Path) -> None:
    """Send this process's (and its children's) temporary files and compile caches to the data dir.

    Called by the `limner` commands that work on a data dir (serve, worker, admin) before they
    start. A cache location the operator set (`TORCHINDUCTOR_CACHE_DIR`, `TRITON_CACHE_DIR`) is
    kept; the Hugging Face model cache stays where `HF_HOME` or its default puts it. Ray keeps its
    session folder where `RAY_TMPDIR` says (default `/tmp/ray`): its socket paths must stay short,
    so it is not moved here (docs/deployment.md).
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = scratch_dir(data_dir).resolve()
    scratch.mkdir(exist_ok=True, mode=0o700)
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = str(scratch)
    caches = (data_dir / "cache").resolve()
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(caches / "torchinductor"))
    os.environ.setdefault("TRITON_CACHE_DIR", str(caches / "triton"))
