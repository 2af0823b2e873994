"""Text moderation latency per request (p50/p99) over the public corpus and long prompts.

    python bench/bench_moderation.py [--rounds 20]

Writes bench/results/moderation.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.moderation.corpus import MUST_ALLOW, MUST_BLOCK, request_body  # noqa: E402

from limner.domain.requests import parse_generate_request  # noqa: E402
from limner.moderation import ModerationRequest, default_moderator  # noqa: E402
from limner.service import moderation_fields  # noqa: E402


def requests_from_corpus() -> list[ModerationRequest]:
    cases = [(style, fields) for style, fields, _ in MUST_BLOCK] + list(MUST_ALLOW)
    built = []
    for style, fields in cases:
        request = parse_generate_request({**request_body(style, fields)})
        built.append(
            ModerationRequest(style=request.style, fields=tuple(moderation_fields(request)))
        )
    long_prompt = ("a quiet harbour at dawn with fishing boats, gulls and morning mist " * 15)[
        :1000
    ]
    request = parse_generate_request({"prompt": long_prompt})
    built.append(ModerationRequest(style=request.style, fields=tuple(moderation_fields(request))))
    return built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    moderator = default_moderator()
    requests = requests_from_corpus()
    for request in requests:  # warm-up: compiles the patterns
        moderator.check(request)
    timings: list[float] = []
    for _ in range(args.rounds):
        for request in requests:
            started = time.perf_counter()
            moderator.check(request)
            timings.append(time.perf_counter() - started)
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[int(len(timings) * 0.99)] * 1000
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = "\n".join(
        [
            "# Text moderation latency per request",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}; one run ({when}).",
            f"{len(requests)} requests (the public corpus plus a 1000-character prompt) x "
            f"{args.rounds} rounds = {len(timings)} checks.",
            "",
            "| p50 ms | p99 ms | max ms |",
            "|---|---|---|",
            f"| {p50:.3f} | {p99:.3f} | {timings[-1] * 1000:.3f} |",
            "",
        ]
    )
    print(report)
    (ROOT / "bench" / "results" / "moderation.md").write_text(report)


if __name__ == "__main__":
    main()
