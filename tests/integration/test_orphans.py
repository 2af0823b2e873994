"""After kill -9 of the server, none of its worker processes lives on (issue 26 item 7): the
stamping pool, the screening pool and multiprocessing's resource tracker all exit once their
parent is gone. The test waits on each process's exit through a pidfd (an event, not a clock);
the select's limit is only a guard against hanging forever."""

from __future__ import annotations

import os
import select
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.cli import cli_env, create_key, start_server
from tests.support.live_server import free_port, wait_until_ready
from tests.support.screening import MODULE

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd (Linux)")

ROOT = Path(__file__).resolve().parents[2]
#: a guard only: the processes exit within moments of the kill
GUARD_S = 120


def exited(pid: int) -> bool:
    """Block until `pid` has exited (True), or the guard ran out (False)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([pidfd], [], [], GUARD_S)
        return bool(readable)
    finally:
        os.close(pidfd)


def test_kill_9_of_the_server_leaves_no_worker_process(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(ROOT)])  # the stand-in models
    env.update(
        LIMNER_PROVENANCE_WORKERS="2",
        LIMNER_SCREENING_WORKERS="1",
        LIMNER_SCREENING_NUDITY_DETECTOR=f"{MODULE}:finds_nothing",
        LIMNER_SCREENING_AGE_ESTIMATOR=f"{MODULE}:finds_a_face_aged_30",
    )
    key = create_key(env, "--sfw-only")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        wait_until_ready(base)
        # an SFW key's realistic image is stamped and screened: both pools are running
        made = httpx.post(
            f"{base}/api/v1/generate",
            json={"prompt": "a lighthouse on a cliff at dusk", "style": "realistic"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )
        assert made.status_code == 200, made.text
        children = psutil.Process(server.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        # two stamping workers, one screening worker, and the resource tracker
        assert sum("spawn_main" in command for command in commands) >= 3, commands
        assert any("resource_tracker" in command for command in commands), commands
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=GUARD_S)
    finally:
        if server.poll() is None:
            server.kill()
    survivors = [child.pid for child in children if not exited(child.pid)]
    assert survivors == [], f"still running after the server was killed: {survivors}"
