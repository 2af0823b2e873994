"""A Limner server and its CLI write only under the data dir, and no dependency reports usage.

HOME and TMPDIR point at empty folders; after a generation on a screened (SFW-only) key, an
adult-style generation (the apparent-age model loads), the CLI's generate and verify, both must
still be empty, and no telemetry file exists anywhere, the data dir included.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import limner
from limner.privacy import TELEMETRY_SWITCHES
from tests.support.live_server import free_port, wait_until_ready

pytestmark = pytest.mark.slow

LIMNER = [sys.executable, "-m", "limner.cli"]
TELEMETRY_TRACES = ("mat-debug-", "onnxruntime.db", "deviceid", ".ses")


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def confined(tmp_path: Path) -> dict[str, str]:
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    values = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIMNER_") and k not in TELEMETRY_SWITCHES
    }
    source = str(Path(limner.__file__).resolve().parents[1])
    values.update(
        HOME=str(home),
        TMPDIR=str(scratch),
        LIMNER_DATA_DIR=str(tmp_path / "data"),
        LIMNER_BACKEND="placeholder",
        PYTHONPATH=os.pathsep.join(filter(None, [source, values.get("PYTHONPATH")])),
        COLUMNS="200",
    )
    return values


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIMNER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_nothing_is_written_outside_the_data_dir(confined: dict[str, str], tmp_path: Path) -> None:
    created = cli("keys", "create", "--sfw-only", "--credits", "10", env=confined)
    assert created.returncode == 0, created.stderr
    screened_key = created.stdout.strip().splitlines()[-1]
    adult = cli("keys", "create", "--credits", "10", env=confined)
    adult_key = adult.stdout.strip().splitlines()[-1]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*LIMNER, "serve", "--port", str(port), "--log-level", "warning"],
        env=confined,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(base_url, timeout=120)
        screened = httpx.post(
            f"{base_url}/api/v1/generate",
            headers={"Authorization": f"Bearer {screened_key}"},
            json={"prompt": "a lighthouse at dusk", "quality": "fast", "style": "realistic"},
            timeout=120,
        )
        assert screened.status_code == 200, screened.text
        adult_style = httpx.post(
            f"{base_url}/api/v1/generate",
            headers={"Authorization": f"Bearer {adult_key}"},
            json={"prompt": "a portrait in a garden", "quality": "fast", "style": "nude"},
            timeout=120,
        )
        assert adult_style.status_code in (200, 403), adult_style.text  # screened either way
        out = tmp_path / "out" / "lighthouse.png"
        out.parent.mkdir()
        client_env = {**confined, "LIMNER_URL": base_url, "LIMNER_API_KEY": screened_key}
        made = cli("generate", "a lighthouse at dusk", "--out", str(out), env=client_env)
        assert made.returncode == 0, made.stderr
        verified = cli("verify", str(out), env=confined)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert files_under(Path(confined["HOME"])) == []
    assert files_under(Path(confined["TMPDIR"])) == []
    everything = files_under(tmp_path)
    traces = [name for name in everything if any(t in name for t in TELEMETRY_TRACES)]
    assert traces == []
    assert any(name.startswith("data/") for name in everything)  # the work did land somewhere
