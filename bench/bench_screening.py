"""Benchmark image screening: time per image for each model, at 512 and 1024 px.

    python bench/bench_screening.py [--repeat 10] [--out bench/results/screening.md]

Images are scikit-image's astronaut photograph (one face) resized to each size, and a flat colour
image (no face). Each model is loaded and warmed up first; the median of `--repeat` runs is
reported, with the slowest run. "both" is `ModelScreener.screen` with both checks, as the
generation service runs it for every adult-style output. "cascade" is what every realistic and
anime output gets (`Checks(minor_nudity=True)`): the nudity detector, then the age model only when
nudity is found. Neither picture shows nudity, so the "nudity found" row forces the detector's
verdict with a threshold of ~0, to time the path where the age model follows.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skimage.data

from bench.machine import cpu_name
from limner.screening import Checks, ModelScreener
from limner.screening._dlib_age import DlibAgeEstimator
from limner.screening._opennsfw import OpenNsfwDetector


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("bench/results/screening.md"))
    args = parser.parse_args()

    nudity, ages = OpenNsfwDetector(), DlibAgeEstimator()
    start = time.perf_counter()
    nudity.check_ready()
    load_nudity = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    ages.check_ready()
    load_ages = (time.perf_counter() - start) * 1000
    screener = ModelScreener(nudity=nudity, ages=ages, nudity_threshold=0.5)
    both = Checks(nudity=True, apparent_age=True)
    cascade = Checks(minor_nudity=True)
    # the same models, every picture called nude: the cascade's second stage always runs
    flagging = ModelScreener(nudity=nudity, ages=ages, nudity_threshold=1e-9)

    astronaut = Image.fromarray(skimage.data.astronaut())
    rows = []
    for size in (512, 1024):
        pictures = {
            "astronaut": astronaut.resize((size, size), Image.Resampling.BICUBIC),
            "flat": Image.fromarray(np.full((size, size, 3), (200, 120, 80), np.uint8)),
        }
        for kind, image in pictures.items():
            faces = len(ages.faces(image))
            for model, work in (
                ("opennsfw (nudity)", lambda image=image: nudity.nudity_score(image)),
                ("dlib-age (faces + age)", lambda image=image: ages.faces(image)),
                ("both (adult style)", lambda image=image: screener.screen(image, both)),
                (
                    "cascade, no nudity (realistic/anime)",
                    lambda image=image: screener.screen(image, cascade),
                ),
                (
                    "cascade, nudity found (realistic/anime)",
                    lambda image=image: flagging.screen(image, cascade),
                ),
            ):
                work()  # warm-up
                median, worst = timed(work, args.repeat)
                label = f"{kind}, {faces} face(s) found"
                rows.append(f"| {size} | {label} | {model} | {median:.0f} | {worst:.0f} |")

    load = os.getloadavg()
    lines = [
        "# Screening benchmark",
        "",
        f"Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"({cpu_name()}), Python {platform.python_version()}, CPU only; load average at the end "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} (other jobs share this machine: timings are "
        "upper bounds)  ",
        f"Command: `python bench/bench_screening.py --repeat {args.repeat}`",
        "",
        f"Model load (first use, per process): opennsfw {load_nudity:.0f} ms, "
        f"dlib-age {load_ages:.0f} ms.",
        "",
        "| size | image | model | median (ms) | slowest (ms) |",
        "|---:|---|---|---:|---:|",
        *rows,
        "",
        "On the astronaut photograph the age estimator's detector also reports the mission patch "
        "on her suit as a face (a false detection, estimated adult); see docs/safety.md.",
        "",
        "Cost per output since every style is screened (docs/safety.md): a realistic or anime "
        "output pays the nudity detector (the `cascade, no nudity` row); one that the detector "
        "flags pays the age model on top (the `cascade, nudity found` row, about `both`); an "
        "adult-style output pays both, as before. Expected cost per realistic/anime output = "
        "nudity + (share of outputs flagged) x ages.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
