"""Does a large body hold up other requests? `/healthz` answered while 16 MiB bodies are posted
(issue 26 item 6), on one live server (placeholder backend): the latency of `/healthz` alone,
then beside a stream of 16 MiB `i2i` bodies (one long data URL) and beside 16 MiB bodies of many
small values (refused by their count before any parse). For reference, the time the depth check
used before took on the same body: a Python loop over every character, on the event loop.

    python bench/bench_large_bodies.py [--bodies 6]

Writes bench/results/large-bodies.md. Client and server share the machine (and the machine is
shared with other work): read the figures against the idle baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.live_server import running  # noqa: E402

from bench.machine import describe  # noqa: E402
from limner import keys  # noqa: E402
from limner.api import create_app  # noqa: E402
from limner.config import Settings  # noqa: E402

MIB = 1024 * 1024


def picture_body() -> bytes:
    padding = "A" * (16 * MIB - 200)
    body = {"prompt": "a lighthouse at dusk", "type": "i2i", "image": "data:image/png;base64,"}
    return json.dumps(body).replace("base64,", "base64," + padding).encode()


def many_values_body() -> bytes:
    item = '[1,{"b":"c"}],'
    count = (16 * MIB - 100) // len(item)
    return ('{"type": "i2i", "prompt": "x", "seed": [' + item * count + "1]}").encode()


def python_scan_s(raw: bytes) -> float:
    """The depth check this replaced: one Python step per character, on the event loop."""
    started = time.perf_counter()
    depth = deepest = 0
    in_string = escaped = False
    for char in raw.decode():
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return time.perf_counter() - started


def health_latencies(base: str, stop: threading.Event) -> list[float]:
    seen: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/healthz")
            seen.append(time.perf_counter() - started)
    return seen


def measure(base: str, headers: dict[str, str], body: bytes | None, count: int) -> list[float]:
    stop = threading.Event()
    result: list[list[float]] = []
    watcher = threading.Thread(target=lambda: result.append(health_latencies(base, stop)))
    watcher.start()
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(count):
            if body is None:
                time.sleep(1.0)  # the idle baseline: the same span without bodies
            else:
                client.post("/api/v1/generate", content=body, headers=headers)
    stop.set()
    watcher.join()
    return result[0]


def row(name: str, seen: list[float]) -> str:
    ordered = sorted(seen)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {name} | {len(seen)} | {statistics.median(seen) * 1000:.1f} | {p99 * 1000:.1f} | "
        f"{max(seen) * 1000:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=6)
    args = parser.parse_args()
    picture, many = picture_body(), many_values_body()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir), rate_limit_free="100000/minute", provenance_workers=0
        )
        app = create_app(settings)
        with app.state.limner.database.transaction() as session:
            headers = {"Authorization": f"Bearer {keys.create_key(session=session).key}"}
        with running(app) as base:
            rows = [
                row("idle (baseline)", measure(base, headers, None, args.bodies)),
                row(
                    "16 MiB i2i bodies (one data URL)", measure(base, headers, picture, args.bodies)
                ),
                row(
                    "16 MiB bodies of many small values", measure(base, headers, many, args.bodies)
                ),
            ]
    scans = [python_scan_s(picture), python_scan_s(many)]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = " / ".join(f"{x:.2f}" for x in __import__("os").getloadavg())
    text = "\n".join(
        [
            "# `/healthz` beside 16 MiB bodies (`bench/bench_large_bodies.py`)",
            "",
            f"Machine: {describe()}. One run, {now}, load average {load} (1/5/15 min): the "
            "machine was shared with other work, so read each row against the idle baseline.",
            f"One live server (placeholder backend); {args.bodies} bodies posted one after "
            "another while one client asks `/healthz` in a loop.",
            "",
            "| beside | /healthz answers | p50 ms | p99 ms | max ms |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "The depth check this replaced (a Python loop over every character, run on the event "
            f"loop, so every other request waited for it): {scans[0]:.2f} s on the data-URL body, "
            f"{scans[1]:.2f} s on the body of many values, per body, on this machine.",
            "",
        ]
    )
    out = ROOT / "bench" / "results" / "large-bodies.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
