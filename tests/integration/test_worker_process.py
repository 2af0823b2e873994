"""`limner worker` works the queue for an API process that does not (LIMNER_QUEUE_WORKERS=0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.events import follow_live
from tests.support.live_server import free_port, wait_until_ready

LIMNER = [sys.executable, "-m", "limner.cli"]


def test_a_separate_worker_process_runs_queued_jobs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    env.update(
        {
            "LIMNER_DATA_DIR": str(tmp_path / "data"),
            "LIMNER_BACKEND": "placeholder",
            "LIMNER_QUEUE_POLL_S": "0.1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        }
    )
    key = (
        subprocess.run(
            [*LIMNER, "keys", "create"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    api = subprocess.Popen(
        [*LIMNER, "serve", "--port", str(port), "--log-level", "warning"],
        env={**env, "LIMNER_QUEUE_WORKERS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        wait_until_ready(base)
        job = httpx.post(
            f"{base}/api/v1/generate",
            headers=headers,
            json={"prompt": "a lighthouse at dusk", "async": True},
        ).json()
        assert job["status"] == "queued"
        # LIMNER_QUEUE_WORKERS=0: this process only accepts; nobody works the queue yet
        status = httpx.get(f"{base}/api/v1/generations/{job['id']}", headers=headers).json()
        assert status["status"] == "queued"

        worker = subprocess.Popen(
            [*LIMNER, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        status = follow_live(base, job["id"], headers, {"completed", "failed", "canceled"})
        assert status["status"] == "completed", status
        assert status["credits_used"] == 1, status
        assert httpx.get(status["image_url"]).status_code == 200
        account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
        assert account["credits_available"] == 4
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
        api.terminate()
        api.wait(timeout=30)
