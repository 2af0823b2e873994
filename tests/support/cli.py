"""The `limner` command as a user runs it: a subprocess on the source under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import limner

LIMNER = [sys.executable, "-m", "limner.cli"]


def cli_env(data_dir: Path, *, columns: int = 200, **values: str) -> dict[str, str]:
    """This environment without the developer's `LIMNER_` settings, with the source under test
    first on the path (not whatever `limner` is installed), a data dir, the placeholder backend
    named (override with `LIMNER_BACKEND=...`) and a terminal width."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    source = str(Path(limner.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["LIMNER_DATA_DIR"] = str(data_dir)
    env["LIMNER_BACKEND"] = "placeholder"  # the default (auto) looks for models: name it
    env["COLUMNS"] = str(columns)
    env.update(values)
    return env


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIMNER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def create_key(env: dict[str, str], *args: str) -> str:
    result = run_cli("keys", "create", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*LIMNER, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
