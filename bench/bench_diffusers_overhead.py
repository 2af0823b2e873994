"""The server's overhead around a generation: latency of `POST /api/v1/generate` (diffusers
backend, tiny random-weight SD pipeline, real uvicorn server) against a direct call of the same
pipeline, in the same run.

    python bench/bench_diffusers_overhead.py [--runs 15] [--size 64] [--steps 2]

The overhead is everything the server adds: auth, rate limit, moderation, ledger, caption-free
post-processing, provenance (metadata, watermark, C2PA) and storage. With a tiny pipeline it is a
large share; with a real model (seconds per image) the same milliseconds are a small one.
Writes bench/results/diffusers-overhead.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.live_server import running  # noqa: E402
from tests.support.tiny_pipelines import build_tiny_sd, write_models_toml  # noqa: E402

from limner import keys, ledger  # noqa: E402
from limner.api import create_app  # noqa: E402
from limner.backends.base import GenerationContext, GenerationSpec  # noqa: E402
from limner.config import Settings  # noqa: E402
from limner.domain.styles import Quality, Style  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()

    import torch

    root = Path(tempfile.mkdtemp(prefix="limner-overhead-"))
    sd = build_tiny_sd(root / "sd")
    models = write_models_toml(root / "models.toml", sd, sd, steps=args.steps, size=args.size)

    settings = Settings(
        data_dir=root / "data",
        backend="diffusers",
        models_file=models,
        diffusers_device="cpu",
        rate_limit_free="100000/minute",
        free_daily_credits=0,
    )
    app = create_app(settings)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=args.runs * 2 + 10)
    headers = {"Authorization": f"Bearer {issued.key}"}

    backend = app.state.limner.backend

    def direct(index: int) -> float:
        spec = GenerationSpec(
            generation_id="gen_direct",
            prompt=f"a lighthouse at dusk {index}",
            style=Style.realistic,
            quality=Quality.fast,
            seed=1,
        )
        started = time.perf_counter()
        backend.generate(spec, GenerationContext())
        return time.perf_counter() - started

    direct_times: list[float] = []
    api_times: list[float] = []
    with running(app) as base, httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        http.post("/api/v1/generate", json={"prompt": "warm-up"})  # loads the pipeline
        direct(-1)
        for index in range(args.runs):  # interleaved, so machine noise hits both alike
            direct_times.append(direct(index))
            started = time.perf_counter()
            response = http.post(
                "/api/v1/generate", json={"prompt": f"a lighthouse at dusk {index}", "seed": 1}
            )
            api_times.append(time.perf_counter() - started)
            response.raise_for_status()

    direct_p50 = statistics.median(direct_times) * 1000
    direct_min = min(direct_times) * 1000
    api_p50 = statistics.median(api_times) * 1000
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = "\n".join(
        [
            "# Server overhead around a diffusers generation",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
            f"Tiny random-weight SD pipeline, {args.size}x{args.size}, {args.steps} steps, "
            f"{args.runs} sequential runs each, one run ({when}).",
            "",
            "| path | p50 ms | min ms |",
            "|---|---|---|",
            f"| direct backend call (same pipeline) | {direct_p50:.1f} | {direct_min:.1f} |",
            f"| POST /api/v1/generate | {api_p50:.1f} | {min(api_times) * 1000:.1f} |",
            "",
            f"API / direct p50 ratio: {api_p50 / direct_p50:.2f}; "
            f"server overhead p50: {api_p50 - direct_p50:.0f} ms per image.",
            "",
        ]
    )
    print(report)
    (ROOT / "bench" / "results" / "diffusers-overhead.md").write_text(report)


if __name__ == "__main__":
    main()
