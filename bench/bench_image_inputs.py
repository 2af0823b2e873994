"""The added latency of an image-input request (i2i, inpaint, outpaint) over t2i at the same
settings: the placeholder backend, quality fast, a 512x512 output for every type, one request at a
time through the real app (in process), the types interleaved round by round so that load on a
shared machine hits them alike.

    python bench/bench_image_inputs.py [--rounds 20]

Per type: the median request latency, and the median of the stages the engine reports (`plan`:
parse, moderation, reading the upload from storage, decoding it and screening it with the real
nudity model; `backend`, `screen`, `stamp` (provenance: watermark, metadata, C2PA with the inputs
as ingredients), `store`; `finish` is the resize back and the composite through the mask, timed
inside `backend`'s neighbour). Writes bench/results/image-inputs.md.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402

from bench.machine import describe  # noqa: E402
from limner import keys, ledger  # noqa: E402
from limner.api import create_app  # noqa: E402
from limner.config import Settings  # noqa: E402
from limner.generation.plan import Plan  # noqa: E402

PROMPT = "a lighthouse at dusk"
TYPES = ("t2i", "i2i", "inpaint", "outpaint")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def photo_like(size: tuple[int, int]) -> Image.Image:
    """A busy picture (the placeholder's own render) as the input, not a flat one."""
    from limner.backends.base import GenerationSpec
    from limner.backends.placeholder import render_placeholder
    from limner.domain.styles import Quality, Style

    spec = GenerationSpec("gen_bench", "harbour", Style.realistic, Quality.fast, seed=1)
    return render_placeholder(spec).resize(size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            data_dir=Path(data),
            free_daily_credits=0,
            rate_limit_free="100000/minute",
            rate_limit_read="100000/minute",
        )  # type: ignore[call-arg]
        app = create_app(settings)
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=100_000)
        headers = {"Authorization": f"Bearer {issued.key}"}
        stages: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        current = {"type": "t2i"}
        service = app.state.limner.service
        service.stage_observers.append(
            lambda name, seconds: stages[current["type"]][name].append(seconds)
        )
        plan_of = service.plan
        finish_of = Plan.finish

        def timed_plan(account: Any, body: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return plan_of(account, body)
            finally:
                stages[current["type"]]["plan"].append(time.perf_counter() - started)

        def timed_finish(self: Plan, made: Image.Image) -> Image.Image:
            started = time.perf_counter()
            try:
                return finish_of(self, made)
            finally:
                stages[current["type"]]["finish"].append(time.perf_counter() - started)

        service.plan = timed_plan  # type: ignore[method-assign]
        Plan.finish = timed_finish  # type: ignore[method-assign]
        totals: dict[str, list[float]] = defaultdict(list)
        with TestClient(app) as client:

            def upload(image: Image.Image) -> str:
                response = client.post(
                    "/api/v1/uploads", files={"file": ("p.png", png(image))}, headers=headers
                )
                return str(response.json()["id"])

            image = upload(photo_like((512, 512)))
            small = upload(photo_like((448, 448)))
            mask = Image.new("L", (512, 512), 0)
            mask.paste(255, (128, 128, 384, 384))
            mask_id = upload(mask)
            bodies: dict[str, dict[str, Any]] = {
                "t2i": {"prompt": PROMPT},
                "i2i": {"prompt": PROMPT, "type": "i2i", "image": image, "strength": 0.6},
                "inpaint": {"prompt": PROMPT, "type": "inpaint", "image": image, "mask": mask_id},
                "outpaint": {
                    "prompt": PROMPT,
                    "type": "outpaint",
                    "image": small,
                    "expand": {"left": 32, "right": 32, "top": 32, "bottom": 32},
                },
            }
            for kind in TYPES:  # warm every path once (models load, caches fill)
                current["type"] = kind
                warm = client.post("/api/v1/generate", json=bodies[kind], headers=headers)
                assert warm.is_success, warm.text
            stages.clear()
            for _ in range(args.rounds):
                for kind in TYPES:
                    current["type"] = kind
                    started = time.perf_counter()
                    response = client.post("/api/v1/generate", json=bodies[kind], headers=headers)
                    totals[kind].append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"{kind}: {response.status_code} {response.text}")

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f}" if values else "-"

    base = statistics.median(totals["t2i"])
    names = ("plan", "backend", "finish", "screen", "stamp", "store")
    lines = [
        "# Image-input requests vs t2i (added latency)",
        "",
        f"Machine: {describe()}",
        f"Load: shared with other engineers' work (2 CPUs, builds and tests running); "
        f"{args.rounds} rounds, the four types interleaved, one request at a time, in-process "
        f"app (TestClient), placeholder backend, quality fast, 512x512 output for every type; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "Medians in ms. `plan`: parse, moderation, reading and decoding the upload(s), screening "
        "each input picture (real nudity model); `finish`: resize back and composite through the "
        "mask; `stamp`: watermark, metadata, C2PA (with the inputs as ingredients).",
        "",
        "| type | request | added over t2i | ratio | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for kind in TYPES:
        median = statistics.median(totals[kind])
        lines.append(
            f"| {kind} | {median * 1000:.1f} | {(median - base) * 1000:+.1f} | "
            f"{median / base:.2f}x | " + " | ".join(ms(stages[kind][n]) for n in names) + " |"
        )
    out = ROOT / "bench" / "results" / "image-inputs.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
