"""The cost of issue 25's rules (ages, indirect indicators, people), per moderation check.

    python bench/bench_moderation_rules.py [--rounds 7]

The requests are bench_moderation.py's (the English and multilingual corpora, a 1000-character
prompt). On a shared machine one timing of a sub-millisecond check is mostly other processes, so
each request is checked `--rounds` times and its fastest run counts (the cost of the code, not of
the neighbours); the p99 over all runs, the figure bench_moderation.py reports, is printed beside
it. Then each rule of the check on its own, fastest of the rounds: the full-name recogniser, the
titles and roles, the real-people list with its fuzzy matching, the tag ages, the indirect
indicators.

Writes bench/results/moderation-rules.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_moderation import requests_from_corpus  # noqa: E402

from bench.machine import describe  # noqa: E402
from limner.moderation import ModerationRequest, default_moderator  # noqa: E402
from limner.moderation.ages import tag_ages  # noqa: E402
from limner.moderation.engine import analyze_field  # noqa: E402
from limner.moderation.roles import find_role  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "moderation-rules.md"


def fastest(requests: list[ModerationRequest], check: Callable, rounds: int) -> list[float]:
    best = [float("inf")] * len(requests)
    for _ in range(rounds):
        for index, request in enumerate(requests):
            started = time.perf_counter()
            check(request)
            best[index] = min(best[index], (time.perf_counter() - started) * 1000)
    return best


def percentiles(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    moderator = default_moderator()
    requests = requests_from_corpus()
    analyzed = {id(r): [analyze_field(f) for f in r.fields] for r in requests}
    for request in requests:
        moderator.check(request)

    every: list[float] = []

    def timed_check(request: ModerationRequest) -> None:
        started = time.perf_counter()
        moderator.check(request)
        every.append((time.perf_counter() - started) * 1000)

    parts: dict[str, Callable[[ModerationRequest], object]] = {
        "whole check": timed_check,
        "full names (`names`)": lambda r: [moderator._full_names.find(f.text) for f in r.fields],
        "titles and roles (`roles`)": lambda r: [
            find_role(f.text, a.text.ascii) for f, a in zip(r.fields, analyzed[id(r)], strict=True)
        ],
        "real-people list, exact and fuzzy (`people`)": lambda r: [
            moderator._real_people.find(a.text) for a in analyzed[id(r)]
        ],
        "tag ages (`ages.tag_ages`)": lambda r: [tag_ages(f.text) for f in r.fields],
        "indirect indicators (`indicators`)": lambda r: [
            (moderator._indicators.find_minor(a.text), moderator._indicators.find_sexual(a.text))
            for a in analyzed[id(r)]
        ],
    }
    rows = []
    for name, part in parts.items():
        p50, p99, worst = percentiles(fastest(requests, part, args.rounds))
        rows.append(f"| {name} | {p50:.3f} | {p99:.3f} | {worst:.3f} |")
    all_p50, all_p99, _ = percentiles(every)
    lines = [
        "# The cost of issue 25's moderation rules",
        "",
        f"Machine: {describe()}; one run ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        f"{len(requests)} requests (bench_moderation.py's), each timed {args.rounds} times; "
        "the fastest run of each request counts.",
        "",
        "| part | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Every run of the whole check, neighbours included (as bench_moderation.py counts): "
        f"p50 {all_p50:.3f} ms, p99 {all_p99:.3f} ms.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
