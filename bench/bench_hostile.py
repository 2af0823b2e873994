"""The hostile run of issue 26: a real `limner serve` (placeholder backend) under schemathesis
and the issue's probes, only on 127.0.0.1, bounded in requests and time. Records the count of
5xx answers, the server's peak memory, what one request costs at the input limits, and whether
any child process outlives a kill -9 of the server.

    pip install schemathesis==4.32.5      # the bench's own tool: no test uses it
    python bench/bench_hostile.py [--max-time 120] [--rounds 40]

Phases:
1. cost: one request at a time at the limits (a 2048x2048 upload, i2i, inpaint and verify, a
   4096x1024 i2i, a 2048x2048 outpaint canvas); the peak of the server and its children is
   reset before each, so each figure is what that request added (VmHWM minus VmRSS before,
   summed over the processes), beside the server's own peak after it.
2. probes: the issue's findings, `--rounds` times over four threads: pictures of hostile shapes
   at every door, verify in every other format Pillow knows, big picture bombs three at a time,
   bodies past the limits, 4,301-digit integers.
3. schemathesis on /openapi.json for `--max-time` seconds (every check but conformance ones).
4. kill -9 of the server; its children (provenance workers, the resource tracker) are looked for
   after the kernel has reparented them.

Writes bench/results/hardening.md. The peak memory is the server process's own VmHWM (the
issue's figure); the children's peaks are listed beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from tests.support.cli import cli_env, create_key  # noqa: E402
from tests.support.live_server import free_port, wait_until_ready  # noqa: E402

from bench.hostile_probes import (  # noqa: E402
    PROMPT,
    Probe,
    data_url,
    encoded,
    gradient,
    probes,
    with_image_url,
)
from bench.machine import describe  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "hardening.md"
UNLIMITED = "1000000/minute"


# -- processes and their memory ----------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *children(kid)]
    return found


def memory(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peaks(pids: list[int]) -> dict[int, int]:
    """Peaks back to the current size; answers each process's VmRSS now (kB)."""
    now = {}
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            continue
        now[pid] = memory(pid).get("VmRSS", 0)
    return now


def growth(before: dict[int, int], pids: list[int]) -> int:
    """kB the processes' peaks rose above their size before (a new process counts whole)."""
    return sum(memory(pid).get("VmHWM", 0) - before.get(pid, 0) for pid in pids)


# -- the run -----------------------------------------------------------------------------------


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "limner.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def cost_phase(client: httpx.Client, key: str, pid: int) -> list[tuple[str, int, int, int]]:
    """(request, status, kB it added, the server's own peak kB) for one request at each limit,
    alone on the server."""
    auth = {"Authorization": f"Bearer {key}"}
    big = encoded(gradient((2048, 2048)))
    wide = encoded(gradient((4096, 1024)))
    canvas = encoded(gradient((1536, 1536)))
    mask = Image.new("L", (2048, 2048), 0)
    mask.paste(255, (512, 512, 1536, 1536))
    cases: list[tuple[str, Probe]] = [
        (
            "upload 2048x2048",
            lambda c: c.post(
                "/api/v1/uploads", files={"file": ("p.png", big, "image/png")}, headers=auth
            ),
        ),
        (
            "i2i 2048x2048",
            lambda c: c.post(
                "/api/v1/generate",
                headers=auth,
                json={"prompt": PROMPT, "type": "i2i", "image": data_url(big)},
            ),
        ),
        (
            "i2i 4096x1024",
            lambda c: c.post(
                "/api/v1/generate",
                headers=auth,
                json={"prompt": PROMPT, "type": "i2i", "image": data_url(wide)},
            ),
        ),
        (
            "inpaint 2048x2048",
            lambda c: c.post(
                "/api/v1/generate",
                headers=auth,
                json={
                    "prompt": PROMPT,
                    "type": "inpaint",
                    "image": data_url(big),
                    "mask": data_url(encoded(mask)),
                },
            ),
        ),
        (
            "outpaint 1536x1536 + 256 each side",
            lambda c: c.post(
                "/api/v1/generate",
                headers=auth,
                json={
                    "prompt": PROMPT,
                    "type": "outpaint",
                    "image": data_url(canvas),
                    "expand": {"left": 256, "right": 256, "top": 256, "bottom": 256},
                },
            ),
        ),
        (
            "verify 2048x2048 PNG",
            lambda c: c.post(
                "/api/v1/verify", content=big, headers={**auth, "Content-Type": "image/png"}
            ),
        ),
    ]
    rows = []
    for name, send in cases:
        tree = [pid, *children(pid)]
        before = reset_peaks(tree)
        status = send(client).status_code
        added = growth(before, [pid, *children(pid)])
        rows.append((name, status, added, memory(pid).get("VmHWM", 0)))
        print(f"cost {name}: {status}, +{rows[-1][2] // 1024} MiB", flush=True)
    return rows


def probe_phase(base: str, key: str, rounds: int) -> Counter[tuple[str, int]]:
    with httpx.Client(base_url=base, timeout=300) as client:
        table = {**probes(key), **with_image_url(client, key)}
    counts: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    local = threading.local()

    def run(name: str) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=300)
        try:
            status = table[name](local.client).status_code
        except httpx.HTTPError as exc:
            status = -1
            print(f"probe {name}: {type(exc).__name__}", flush=True)
        with lock:
            counts[(name, status)] += 1

    work = [name for _ in range(rounds) for name in table]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, work))
    # the three bombs at once
    bombs = ["verify 9000x9000 zeros", "verify 16777216x1", "i2i data: 1048576x1"] * 3
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(run, bombs))
    return counts


def schemathesis_phase(base: str, key: str, max_time: int, workdir: Path) -> Counter[int]:
    """Statuses of every request schemathesis sent (read from its HAR report)."""
    har = workdir / "run.har"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base}/openapi.json",
        "-H",
        f"Authorization: Bearer {key}",
        "--max-time",
        str(max_time),
        "--workers",
        "4",
        "--checks",
        "not_a_server_error",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--seed",
        "26",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "60",
        "--phases",
        "examples,coverage,fuzzing,stateful",
    ]
    # in a scratch folder: schemathesis keeps its crash cache in the working directory
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    print(done.stdout[-3000:], flush=True)
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    statuses = Counter(int(entry["response"]["status"]) for entry in entries)
    for entry in entries:
        if int(entry["response"]["status"]) >= 500:
            request = entry["request"]
            print("5xx:", request["method"], request["url"][:200], flush=True)
    return statuses


def kill_phase(server: subprocess.Popen[bytes]) -> tuple[list[int], list[str]]:
    """kill -9 the server; the children alive a few seconds later (pid, command line)."""
    kids = children(server.pid)
    server.send_signal(signal.SIGKILL)
    server.wait()
    time.sleep(5)  # what the kernel and the children get to notice; the bench's own wait
    alive = []
    for kid in kids:
        try:
            cmd = Path(f"/proc/{kid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        alive.append(f"{kid}: {cmd[:120]}")
    for kid in kids:  # leave nothing behind: only the processes this run started
        with contextlib.suppress(OSError):
            os.kill(kid, signal.SIGKILL)
    return kids, alive


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=120, help="schemathesis seconds")
    parser.add_argument("--rounds", type=int, default=40, help="passes over the probes")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        env = cli_env(
            workdir / "data",
            **{f"LIMNER_RATE_LIMIT_{p}": UNLIMITED for p in ("FREE", "PRO", "TEST", "READ")},
            LIMNER_RATE_LIMIT_ANONYMOUS=UNLIMITED,
            LIMNER_GENERATION_QUEUE_SIZE="64",
        )
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        key = create_key(env, "--plan", "pro", "--credits", "1000000")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(env, port, workdir / "server.log")
        try:
            wait_until_ready(base)
            with httpx.Client(base_url=base, timeout=300) as client:
                client.post(
                    "/api/v1/generate",
                    json={"prompt": PROMPT},
                    headers={"Authorization": f"Bearer {key}"},
                )
                costs = cost_phase(client, key, server.pid)
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            probe_counts = probe_phase(base, key, args.rounds)
            print("probes done", flush=True)
            schema_counts = schemathesis_phase(base, key, args.max_time, workdir)
            peak = memory(server.pid).get("VmHWM", 0)
            kid_peaks = {kid: memory(kid).get("VmHWM", 0) for kid in children(server.pid)}
        finally:
            kids, alive = kill_phase(server)
        log_tail = (workdir / "server.log").read_text(errors="replace")[-2000:]
    write(
        costs,
        probe_counts,
        schema_counts,
        peak,
        kid_peaks,
        kids,
        alive,
        args,
        time.monotonic() - started,
        log_tail,
    )


def write(
    costs: list[tuple[str, int, int, int]],
    probe_counts: Counter[tuple[str, int]],
    schema_counts: Counter[int],
    peak: int,
    kid_peaks: dict[int, int],
    kids: list[int],
    alive: list[str],
    args: argparse.Namespace,
    seconds: float,
    log_tail: str,
) -> None:
    probe_total = sum(probe_counts.values())
    schema_total = sum(schema_counts.values())
    probe_5xx = {k: v for k, v in probe_counts.items() if k[1] >= 500 or k[1] < 0}
    schema_5xx = sum(v for s, v in schema_counts.items() if s >= 500)
    lines = [
        "# Hostile run (issue 26)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {describe()}; `python "
        f"bench/bench_hostile.py --max-time {args.max_time} --rounds {args.rounds}` "
        f"({seconds:.0f} s). A real `limner serve`, placeholder backend, default settings but "
        "unlimited rate limits and a generation queue of 64; only 127.0.0.1.",
        "",
        "## Summary",
        "",
        "| figure | value |",
        "|---|---|",
        f"| requests | {probe_total + schema_total} ({probe_total} probes, {schema_total} "
        "schemathesis) |",
        f"| 5xx answers | {sum(probe_5xx.values()) + schema_5xx} ({sum(probe_5xx.values())} "
        f"probes, {schema_5xx} schemathesis) |",
        f"| server peak RSS (VmHWM) in the cost phase | "
        f"{max(row[3] for row in costs) / 1024:.0f} MiB |",
        f"| server peak RSS (VmHWM) under probes and schemathesis | {peak / 1024:.0f} MiB |",
        "| children's peak RSS | "
        + (", ".join(f"{v / 1024:.0f} MiB" for v in kid_peaks.values()) or "none")
        + " |",
        f"| children before kill -9 | {len(kids)} |",
        f"| children alive 5 s after kill -9 | {len(alive)} |",
        "",
        "## What one request costs at the limits",
        "",
        "Alone on the server, its peak and its children's reset before it: what each request "
        "added (VmHWM minus VmRSS before, summed over the server and its stamping workers).",
        "",
        "| request | status | added (server + workers) | server peak after it |",
        "|---|---|---|---|",
        *[
            f"| {name} | {status} | {kb / 1024:.0f} MiB | {server / 1024:.0f} MiB |"
            for name, status, kb, server in costs
        ],
        "",
        "## Probes",
        "",
        "| probe | status | count |",
        "|---|---|---|",
        *[
            f"| {name} | {status} | {count} |"
            for (name, status), count in sorted(probe_counts.items())
        ],
        "",
        "## Schemathesis",
        "",
        "| status | count |",
        "|---|---|",
        *[f"| {status} | {count} |" for status, count in sorted(schema_counts.items())],
        "",
    ]
    if alive:
        lines += ["## Children alive after kill -9", "", *[f"- `{a}`" for a in alive], ""]
    if probe_5xx or schema_5xx:
        lines += ["## Server log (tail)", "", "```", log_tail, "```", ""]
    RESULTS.write_text("\n".join(lines))
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
