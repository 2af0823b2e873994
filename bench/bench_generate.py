"""Requests/s and p50/p99 latency of POST /api/v1/generate (placeholder backend) against a bare
FastAPI JSON endpoint, both served by uvicorn on this machine, in the same run.

    python bench/bench_generate.py [--requests 400] [--concurrency 8] [--quality fast]

Writes bench/results/generate.md. The load generator shares the machine with the server, so read
the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.live_server import free_port, wait_until_ready  # noqa: E402


def serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_ready(base) if "limner" in " ".join(args) else _wait_bare(base)
    return process, base


def _wait_bare(base: str) -> None:
    for _ in range(200):
        try:
            httpx.post(f"{base}/api/v1/generate", json={"prompt": "x"}, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("bare server did not start")


def load(
    base: str, headers: dict[str, str], body: dict[str, object], requests: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []

    def worker(count: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for _ in range(count):
                started = time.perf_counter()
                response = client.post("/api/v1/generate", json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")

    per_worker = [requests // concurrency] * concurrency
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, per_worker))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--quality", default="fast")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="limner-bench-")
    env = {
        **os.environ,
        "LIMNER_DATA_DIR": data_dir,
        "LIMNER_BACKEND": "placeholder",  # the default (auto) would look for models
        "LIMNER_RATE_LIMIT_PRO": "1000000/minute",
        "LIMNER_PRO_DAILY_CREDITS": "100000000",
        "LIMNER_GENERATION_WORKERS": "2",
        "LIMNER_GENERATION_QUEUE_SIZE": "64",
    }
    key = (
        subprocess.run(
            [sys.executable, "-m", "limner.cli", "keys", "create", "--plan", "pro"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    body = {"prompt": "a lighthouse at dusk", "quality": args.quality}
    results = {}
    for name, command, headers in (
        (
            "bare FastAPI JSON endpoint",
            [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--log-level", "warning"],
            {},
        ),
        (
            "limner generate (placeholder)",
            [sys.executable, "-m", "limner.cli", "serve", "--log-level", "warning"],
            {"Authorization": f"Bearer {key}"},
        ),
    ):
        process, base = serve(command, env)
        try:
            load(base, headers, body, 40, args.concurrency)  # warm-up
            results[name] = load(base, headers, body, args.requests, args.concurrency)
        finally:
            process.terminate()
            process.wait(timeout=20)

    bare, limner = results["bare FastAPI JSON endpoint"], results["limner generate (placeholder)"]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# POST /api/v1/generate vs a bare FastAPI endpoint",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        f"Load: {args.requests} requests, {args.concurrency} concurrent clients, "
        f"quality={args.quality}, same machine, one run ({when}).",
        "",
        "| server | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for name, figures in results.items():
        lines.append(
            f"| {name} | {figures['rps']:.1f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} |"
        )
    lines += [
        "",
        "Limner's path per request: auth, rate limit, moderation, credit reserve and capture "
        "(SQLite), placeholder render, provenance (XMP/EXIF, watermark with read-back, C2PA "
        "signature) and storage.",
        "",
        f"Limner/bare throughput ratio: {limner['rps'] / bare['rps']:.3f}; "
        f"p50 latency ratio: {limner['p50_ms'] / bare['p50_ms']:.1f}x",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "results" / f"generate-{args.quality}.md"
    out.write_text(report)


if __name__ == "__main__":
    main()
