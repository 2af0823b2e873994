"""Throughput of the Ray Serve generation deployment with and without dynamic batching, under the
same concurrent load on the tiny torch pipeline, in one run on one local Ray instance.

    python bench/bench_ray_batching.py [--requests 256] [--concurrency 16] [--size 128]

Writes bench/results/ray_batching.md. Both variants are one replica with one CPU; "unbatched" is
the same deployment with max_batch_size=1. The tiny pipeline is a small conv net run `--steps`
times, so batching gains here come from one forward pass per step for the whole batch instead of
one per image; a diffusion model on a GPU gains for the same reason, by different amounts.
The default 256 steps make one image cost ~100 ms, so the pipeline, not Ray's per-request path
(a few tens of requests/s on a 2-core machine), is what the two variants compete on.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(ROOT / "src"), os.getenv("PYTHONPATH")])
)

from bench.machine import cpu_name  # noqa: E402
from limner.serving.pipelines import RenderRequest  # noqa: E402


def run_load(handle: Any, args: argparse.Namespace) -> dict[str, float]:
    latencies: list[float] = []

    def one(index: int) -> None:
        request = RenderRequest("tiny", "bench", index, args.size, args.size, args.steps)
        started = time.perf_counter()
        handle.options(multiplexed_model_id="tiny").remote(request.to_dict()).result()
        latencies.append(time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(one, range(args.concurrency)))  # warm-up: load the model, fill the pool
        latencies.clear()
        before = len(handle.stats.remote().result()["batch_sizes"])
        started = time.perf_counter()
        list(pool.map(one, range(args.requests)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    sizes = handle.stats.remote().result()["batch_sizes"][before:]
    return {
        "images_per_s": args.requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "mean_batch": statistics.mean(sizes) if sizes else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size", type=int, default=128, help="image width and height")
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--wait-s", type=float, default=0.02)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ray_batching.md")
    args = parser.parse_args()

    import ray
    import torch
    from ray import serve

    from limner.serving.deployment import ServingConfig, build_app

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=200 * 1024 * 1024,
    )
    results: dict[str, dict[str, float]] = {}
    try:
        for name, batch, wait in (
            ("unbatched (max_batch_size=1)", 1, 0.0),
            (
                f"batched (max_batch_size={args.max_batch}, wait {args.wait_s * 1000:.0f} ms)",
                args.max_batch,
                args.wait_s,
            ),
        ):
            config = ServingConfig(max_batch_size=batch, batch_wait_s=wait)
            handle = serve.run(build_app(config), name="bench", route_prefix=None)
            results[name] = run_load(handle, args)
            serve.delete("bench")
            print(name, results[name], flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()

    unbatched, batched = list(results.values())
    ratio = batched["images_per_s"] / unbatched["images_per_s"]
    lines = [
        "# Ray Serve dynamic batching: tiny pipeline, with and without batching",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu_name()}), "
        f"Python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), ray {ray.__version__}; no GPU.",
        f"Load: {args.requests} requests, {args.concurrency} concurrent clients, "
        f"{args.size}x{args.size}, {args.steps} steps, one replica (1 CPU), one run "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC). Shared machine: read the ratio.",
        "",
        "| deployment | images/s | p50 ms | p99 ms | mean batch |",
        "|---|---|---|---|---|",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['images_per_s']:.1f} | {row['p50_ms']:.0f} | "
            f"{row['p99_ms']:.0f} | {row['mean_batch']:.2f} |"
        )
    lines += ["", f"Batched/unbatched throughput ratio: {ratio:.2f}x", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
