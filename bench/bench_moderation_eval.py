"""The moderation evaluation set (tests/moderation_eval/) through the real HTTP API.

    python bench/bench_moderation_eval.py [--half dev|heldout|both] [--no-write]

Each case is a `POST /api/v1/generate` to the app as the tests build it, with a test key (see
tests/support/moderation_eval.py: 403 `content_blocked` is blocked, an accepted request is
allowed). Prints and writes bench/results/moderation-eval.md: blocked % of must-block and allowed %
of must-allow for each half side by side, per category, and the ids of the dev half's misses.
The heldout half's misses are counted but never listed (nothing is tuned on it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.moderation_eval import (  # noqa: E402
    HALVES,
    Figures,
    Outcome,
    by_category,
    eval_client,
    figures,
    load,
    run,
)

from bench.machine import describe  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "moderation-eval.md"


def cell(figs: Figures | None) -> str:
    if figs is None:
        return "- | -"
    block = f"{figs.block_rate:.1%} ({figs.blocked}/{figs.must_block})" if figs.must_block else "-"
    allow = f"{figs.allow_rate:.1%} ({figs.allowed}/{figs.must_allow})" if figs.must_allow else "-"
    return f"{block} | {allow}"


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


def report(results: dict[str, list[Outcome]], seconds: float) -> str:
    halves = list(results)
    totals = {half: figures(outcomes) for half, outcomes in results.items()}
    categories = {half: by_category(outcomes) for half, outcomes in results.items()}
    names = sorted({name for per_half in categories.values() for name in per_half})
    head = " | ".join(f"{half} blocked | {half} allowed" for half in halves)
    rule = "|".join("---|---" for _ in halves)
    lines = [
        "# Moderation evaluation set through the HTTP API",
        "",
        f"Machine: {describe()}; commit {commit()}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{sum(len(o) for o in results.values())} requests in {seconds:.1f} s.",
        "",
        "Each case is a `POST /api/v1/generate` (`async`, a test key, the placeholder backend, no "
        "queue worker: parsed, moderated, charged and queued, not rendered). Blocked = 403 "
        "`content_blocked`; allowed = accepted. Figures: blocked % of must-block, allowed % of "
        "must-allow. The heldout half is the one that counts; nothing is tuned on it, so its "
        "misses are not listed.",
        "",
        f"| | {head} |",
        f"|---|{rule}|",
        "| **all** | " + " | ".join(cell(totals[half]) for half in halves) + " |",
    ]
    for name in names:
        row = " | ".join(cell(categories[half].get(name)) for half in halves)
        lines.append(f"| {name} | {row} |")
    if "dev" in results:
        misses = [outcome for outcome in results["dev"] if not outcome.correct]
        lines += ["", f"## Dev misses ({len(misses)})", ""]
        for expect in ("block", "allow"):
            ids = sorted(str(o.case["id"]) for o in misses if o.case["expect"] == expect)
            lines.append(f"Must {expect}, not {expect}ed ({len(ids)}): " + ", ".join(ids))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=[*HALVES, "both"], default="both")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    halves = HALVES if args.half == "both" else (args.half,)
    started = time.perf_counter()
    with eval_client() as (client, headers):
        results = {half: run(client, headers, load(half)) for half in halves}
    text = report(results, time.perf_counter() - started)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
