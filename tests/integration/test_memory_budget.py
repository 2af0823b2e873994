"""The memory budget, measured: a few-KB hostile picture must not grow the server's memory.

The server is a real `limner serve` process (placeholder backend, stamping in-process so one
process holds all of a request's memory). Its peak resident size (`VmHWM`) is reset after a
warm-up request and read after the hostile ones: the growth is what those requests cost. The
inputs are scaled down from the issue's (a 131072x1 picture instead of 16777216x1, a 3000x3000
verify under a 1024-px side limit instead of 9000x9000 under Pillow's own limit), so the code
before the fix grows by hundreds of MB here and the bound below sits well under that.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.support.cli import cli_env, create_key, start_server
from tests.support.live_server import free_port, wait_until_ready

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to read peak RSS"
)

#: what the refused requests below may add to the server's peak (parsing, JSON, logging);
#: the unfixed code added 273 MB (the resize) and 347 MB (three verify decodes) here
GROWTH_BOUND_KIB = 48 * 1024
PROMPT = "a lighthouse at dusk"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/<pid>/status (VmRSS, VmHWM, ...)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> None:
    """Set VmHWM back to the current VmRSS (Linux: `5` to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    env = cli_env(
        tmp_path / "data",
        LIMNER_PROVENANCE_WORKERS="0",  # stamping in the server process: one process to measure
        LIMNER_MAX_UPLOAD_SIDE="1024",
        LIMNER_MAX_UPLOAD_PIXELS=str(1024 * 1024),
    )
    key = create_key(env, "--plan", "pro", "--credits", "20")
    port = free_port()
    process = start_server(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base)
        yield base, key, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def warm_up(base: str, key: str) -> None:
    """One ordinary image-input request, so imports and caches are in the baseline."""
    ordinary = Image.new("RGB", (64, 64), (40, 90, 160))
    answer = i2i(base, key, ordinary)
    assert answer.status_code == 200, answer.text


def i2i(base: str, key: str, picture: Image.Image) -> httpx.Response:
    url = "data:image/png;base64," + base64.b64encode(png(picture)).decode()
    return httpx.post(
        f"{base}/api/v1/generate",
        json={"type": "i2i", "prompt": PROMPT, "image": url},
        headers={"Authorization": f"Bearer {key}"},
        timeout=300,
    )


def test_a_one_pixel_high_picture_costs_no_memory(server: tuple[str, str, int]) -> None:
    base, key, pid = server
    warm_up(base, key)
    reset_peak(pid)
    before = status(pid)["VmRSS"]
    thin = Image.new("L", (131072, 1), 0)  # 200 bytes as PNG
    answer = i2i(base, key, thin)
    growth = status(pid)["VmHWM"] - before
    assert growth < GROWTH_BOUND_KIB, f"the server grew by {growth} KiB"
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "image" and "131072x1" in answer.json()["message"]


def test_three_big_verifies_at_once_cost_no_memory(server: tuple[str, str, int]) -> None:
    base, key, pid = server
    warm_up(base, key)
    reset_peak(pid)
    before = status(pid)["VmRSS"]
    flat = png(Image.new("RGB", (3000, 3000), 0))  # about 30 KB, 27 MB of pixels

    def verify(_: int) -> httpx.Response:
        return httpx.post(
            f"{base}/api/v1/verify",
            content=flat,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "image/png"},
            timeout=300,
        )

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(verify, range(3)))
    growth = status(pid)["VmHWM"] - before
    assert growth < GROWTH_BOUND_KIB, f"the server grew by {growth} KiB"
    assert [a.status_code for a in answers] == [400] * 3, answers[0].text
    assert all(a.json()["field"] == "image" for a in answers)


def test_the_server_process_is_the_one_measured(server: tuple[str, str, int]) -> None:
    """`limner serve` answers from the process it started (no uvicorn worker processes), so
    the figures above are the server's own."""
    base, _key, pid = server
    assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert children == [] and os.path.exists(f"/proc/{pid}")
