"""The semantic layer's cost: the moderation check with and without it, and the layer alone.

    python bench/bench_semantic.py [--rounds 20]

The same requests as `bench_moderation.py` (the English and multilingual corpora, a
1000-character prompt), checked by `RuleModerator` with the shipped semantic model and with
`semantic=None` (the word rules alone), interleaved request by request so that both see the same
load on a shared machine. Also the model's load time and its scoring time per field. Each is
timed twice: wall-clock, and the thread's CPU time (`time.thread_time`), which other processes'
load on a shared machine does not inflate.

Writes bench/results/moderation-semantic.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_moderation import requests_from_corpus  # noqa: E402
from bench.machine import describe  # noqa: E402
from limner.moderation.engine import RuleModerator  # noqa: E402
from limner.moderation.languages import preload  # noqa: E402
from limner.moderation.normalize import normalize  # noqa: E402
from limner.moderation.semantic import load  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    model = load()
    loaded = time.perf_counter() - started
    assert model is not None, "the semantic model is not installed"
    preload()
    with_layer = RuleModerator(semantic=model)
    rules_only = RuleModerator(semantic=None)
    requests = requests_from_corpus()
    for request in requests:  # warm-up
        with_layer.check(request)
        rules_only.check(request)
    timings: dict[str, list[float]] = {"with": [], "without": [], "layer": []}
    cpu: dict[str, list[float]] = {"with": [], "without": [], "layer": []}
    fields = [field.text for request in requests for field in request.fields]
    for _ in range(args.rounds):
        for request in requests:
            for name, moderator in (("with", with_layer), ("without", rules_only)):
                started, started_cpu = time.perf_counter(), time.thread_time()
                moderator.check(request)
                timings[name].append(time.perf_counter() - started)
                cpu[name].append(time.thread_time() - started_cpu)
        for text in fields:
            canonical = normalize(text)  # computed once per field by the engine anyway
            started, started_cpu = time.perf_counter(), time.thread_time()
            model.scores(text, canonical)
            timings["layer"].append(time.perf_counter() - started)
            cpu["layer"].append(time.thread_time() - started_cpu)

    def row(label: str, key: str) -> str:
        wall, used = timings[key], cpu[key]
        return (
            f"| {label} | {pct(wall, 0.5):.3f} | {pct(wall, 0.99):.3f} "
            f"| {statistics.mean(wall) * 1000:.3f} | {pct(used, 0.5):.3f} | {pct(used, 0.99):.3f} |"
        )

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = "\n".join(
        [
            "# The semantic layer's cost",
            "",
            f"Machine: {describe()} (a shared VM); one run ({when}).",
            f"{len(requests)} requests (as `bench_moderation.py`) x {args.rounds} rounds, each "
            "checked with and without the layer, interleaved; the layer alone on each of their "
            f"{len(fields)} fields. Model load (once per process): {loaded * 1000:.0f} ms.",
            "",
            "| measure | p50 ms | p99 ms | mean ms | CPU p50 ms | CPU p99 ms |",
            "|---|---|---|---|---|---|",
            row("moderation check, word rules + semantic layer", "with"),
            row("moderation check, word rules alone", "without"),
            row("semantic layer alone, per field", "layer"),
            "",
            f"Load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
            "(1, 5, 15 min).",
            "",
        ]
    )
    print(report)
    (ROOT / "bench" / "results" / "moderation-semantic.md").write_text(report)


if __name__ == "__main__":
    main()
