"""Telemetry switches and where a process's scratch files go."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from limner.privacy import TELEMETRY_SWITCHES, confine_scratch_files


def test_importing_limner_turns_every_telemetry_switch_off() -> None:
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_SWITCHES}
    env["ORT_DISABLE_TELEMETRY"] = "0"  # even an explicit opt-in in the environment is overridden
    shown = subprocess.run(
        [sys.executable, "-c", "import limner, json, os; print(json.dumps(dict(os.environ)))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    seen = json.loads(shown.stdout)
    assert {name: seen.get(name) for name in TELEMETRY_SWITCHES} == TELEMETRY_SWITCHES


def test_scratch_files_go_to_the_data_dirs_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TMPDIR", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    data_dir = tmp_path / "data"
    confine_scratch_files(data_dir)
    scratch = (data_dir / "tmp").resolve()
    assert tempfile.gettempdir() == str(scratch) == os.environ["TMPDIR"]
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o700
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"].startswith(str(data_dir.resolve()))
    with tempfile.NamedTemporaryFile() as handle:
        assert Path(handle.name).parent == scratch


def test_an_operators_cache_location_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/srv/cache/inductor")
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    monkeypatch.setenv("TMPDIR", os.environ.get("TMPDIR", "/tmp"))
    confine_scratch_files(tmp_path / "data")
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == "/srv/cache/inductor"
