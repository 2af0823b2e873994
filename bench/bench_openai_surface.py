"""What the OpenAI surface adds to a request: `POST /v1/images/generations` (url, b64_json PNG,
b64_json JPEG) against `POST /api/v1/generate` for the same work, on the placeholder backend,
one server, interleaved rounds in the same run.

    python bench/bench_openai_surface.py [--rounds 15]

Writes bench/results/openai-surface.md. The client and the server share the machine (and the
machine is shared with other work), so read the ratios against the v1 baseline, not the
absolute figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.live_server import running  # noqa: E402

from bench.machine import describe  # noqa: E402
from limner import keys, ledger  # noqa: E402
from limner.api import create_app  # noqa: E402
from limner.config import Settings  # noqa: E402

PROMPT = "a lighthouse at dusk"
CASES: list[tuple[str, str, dict[str, object]]] = [
    ("v1 generate (baseline)", "/api/v1/generate", {"prompt": PROMPT}),
    ("openai url", "/v1/images/generations", {"prompt": PROMPT}),
    (
        "openai b64_json png",
        "/v1/images/generations",
        {"prompt": PROMPT, "response_format": "b64_json"},
    ),
    (
        "openai b64_json jpeg",
        "/v1/images/generations",
        {"prompt": PROMPT, "response_format": "b64_json", "output_format": "jpeg"},
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {name: [] for name, _path, _body in CASES}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir), rate_limit_free="100000/minute", free_daily_credits=0
        )
        app = create_app(settings)
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=10 * args.rounds * 2)
        headers = {"Authorization": f"Bearer {issued.key}"}
        with running(app) as base, httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for _name, path, body in CASES:  # one warm-up each
                http.post(path, json=body).raise_for_status()
            for _ in range(args.rounds):  # interleaved, so drifting load hits every case alike
                for name, path, body in CASES:
                    started = time.perf_counter()
                    http.post(path, json=body).raise_for_status()
                    timings[name].append(time.perf_counter() - started)
    baseline = statistics.median(timings[CASES[0][0]])
    load = os.getloadavg()
    lines = [
        "# The OpenAI surface against the v1 endpoint (`bench/bench_openai_surface.py`)",
        "",
        f"Machine: {describe()}. One run, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} (1/5/15 min): the machine "
        "was shared with other work, so the absolute figures are noisy; the ratio is the result.",
        f"Placeholder backend, quality fast (512x512), one request at a time, {args.rounds} "
        "interleaved rounds after one warm-up each, client and uvicorn server in one process.",
        "",
        "| request | p50 ms | mean ms | x v1 p50 |",
        "|---|---|---|---|",
    ]
    for name, _path, _body in CASES:
        values = timings[name]
        p50 = statistics.median(values)
        lines.append(
            f"| {name} | {p50 * 1000:.1f} | {statistics.fmean(values) * 1000:.1f} | "
            f"{p50 / baseline:.2f} |"
        )
    out = ROOT / "bench" / "results" / "openai-surface.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
