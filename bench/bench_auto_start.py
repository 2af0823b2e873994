"""How long `limner serve` takes to print its ready lines when `LIMNER_BACKEND=auto` finds no
model hub, against the same start with the placeholder named (the baseline, measured in the
same run, alternating): what `auto`'s one look at the hub costs an offline machine.

    python -m bench.bench_auto_start [--runs 3]   # writes bench/results/auto-start.md

Offline cases: a hub whose port refuses connections, and the default hub name where DNS does
not resolve it (this machine has no route out). Each start uses a fresh data dir and HF_HOME.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_seconds(extra: dict[str, str]) -> tuple[float, str]:
    """Seconds from the command to its last ready line, and the line naming the backend."""
    with tempfile.TemporaryDirectory() as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMNER_", "HF_"))}
        env.update(
            LIMNER_DATA_DIR=f"{work}/data",
            HF_HOME=f"{work}/hf",
            PYTHONPATH=str(ROOT / "src"),
            PYTHONUNBUFFERED="1",
            COLUMNS="300",
            **extra,
        )
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "limner.cli", "serve", "--port", str(closed_port())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert server.stdout is not None
        backend = ""
        for line in server.stdout:
            if "(backend:" in line:
                backend = line.split("(backend: ", 1)[1].split(",")[0]
            if line.startswith("  API docs"):
                break
        elapsed = time.perf_counter() - started
        server.terminate()
        server.wait(timeout=60)
        server.stdout.close()
        return elapsed, backend


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "LIMNER_BACKEND=placeholder (baseline)": {"LIMNER_BACKEND": "placeholder"},
        "auto, hub port refuses": {
            "LIMNER_BACKEND": "auto",
            "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        },
        "auto, hub name does not resolve": {"LIMNER_BACKEND": "auto"},
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    backends: dict[str, str] = {}
    for _ in range(args.runs):  # alternating, so the machine's load falls on every case alike
        for name, extra in cases.items():
            seconds, backends[name] = start_seconds(extra)
            times[name].append(seconds)
    base = statistics.median(times["LIMNER_BACKEND=placeholder (baseline)"])
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    rows = [
        f"| {name} | {backends[name]} | {statistics.median(runs):.1f} | "
        f"{', '.join(f'{r:.1f}' for r in runs)} | {statistics.median(runs) / base:.2f} |"
        for name, runs in times.items()
    ]
    text = "\n".join(
        [
            "# `limner serve` start on an offline machine (`bench/bench_auto_start.py`)",
            "",
            f"Machine: {describe()}. Shared with other engineers' work while it ran "
            f"(load average {' '.join(load)} at the end), so the absolute seconds are noisy; "
            "the cases alternate within each round and the ratio is against the baseline "
            "measured in the same run.",
            "",
            "Seconds from the command to the ready lines (python start, imports, migrations, "
            "the backend decision, uvicorn listening), median of "
            f"{args.runs} runs each, fresh data dir and HF_HOME every time.",
            "",
            "| start | backend | median s | runs (s) | x baseline |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    out = ROOT / "bench" / "results" / "auto-start.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
