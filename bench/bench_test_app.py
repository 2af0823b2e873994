"""What the tests' `app` fixture costs per test, before and after the shared parts.

    python bench/bench_test_app.py [--rounds 30]

Before: every app replays the Alembic migrations into an empty SQLite file and compiles every
language's moderation rules. After (tests/conftest.py): the app starts on a copy of a database
migrated once per process (`tests/support/template_db.py`), and the compiled rules are shared
(`limner.moderation.rulesets`). Each round builds one app on a fresh data dir, as a test does.
Times are CPU seconds of this process (`time.process_time`), which a loaded machine changes less
than wall time, and wall time beside them.

Prints a Markdown table (bench/results/tests.md quotes it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.template_db import build_template, seed_database  # noqa: E402

from bench.machine import describe  # noqa: E402
from limner.api import create_app  # noqa: E402
from limner.config import Settings  # noqa: E402
from limner.moderation import rulesets  # noqa: E402


def settings(root: Path) -> Settings:
    folder = Path(tempfile.mkdtemp(dir=root))
    return Settings(
        data_dir=folder / "data",
        public_url="http://testserver",
        provenance_workers=0,
        backend="placeholder",  # type: ignore[arg-type]
    )


def timed(rounds: int, build: Callable[[], object]) -> tuple[float, float]:
    """Median (CPU s, wall s) of one build."""
    cpu, wall = [], []
    for _ in range(rounds):
        started_cpu, started = time.process_time(), time.perf_counter()
        build()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        create_app(settings(root))  # imports and first-use caches out of the way
        template = build_template(root / "template.db")

        def before() -> object:
            rulesets._compile.cache_clear()  # every moderator compiled its own rules
            return create_app(settings(root))

        def after() -> object:
            made = settings(root)
            seed_database(made, template)
            return create_app(made)

        rows = [("before: migrate + compile rules", timed(rounds, before))]
        rows.append(("after: copy template + shared rules", timed(rounds, after)))
    print(f"Machine: {describe()}; {rounds} apps each, medians\n")
    print("| one test app | CPU ms | wall ms |")
    print("|---|---:|---:|")
    for name, (cpu, wall) in rows:
        print(f"| {name} | {cpu * 1000:.0f} | {wall * 1000:.0f} |")


if __name__ == "__main__":
    main()
