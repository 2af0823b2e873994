#!/usr/bin/env python
"""CPU speed of a 512 px, 1-step SD-Turbo image: bare diffusers and `limner serve`, options on/off.

The SD-Turbo architecture (SD 2.1 UNet, OpenCLIP ViT-H text encoder, the SD VAE) and a TAESD-shaped
`AutoencoderTiny` are built with RANDOM weights and saved to a folder (nothing comes from a hub):
compute does not depend on the values. In one run it times

- bare diffusers (`StableDiffusionPipeline.from_pretrained` on that folder, called directly), and
- `limner serve` on the same folder over HTTP (`POST /api/v1/generate`, placeholder off),

for each combination of precision (float32 / bfloat16), decoder (full VAE / tiny VAE) and memory
layout (channels-last on / off), and the peak resident memory of each server process.

    python bench/bench_cpu.py                    # the full matrix (about 10 minutes on 2 cores)
    python bench/bench_cpu.py --runs 1 --quick   # fewer combinations
    python bench/bench_cpu.py --tiny             # smoke run of this script with tiny models
    python bench/bench_cpu.py --best-only --compile   # the best combination, eager and compiled

Run it on a quiet machine; results go to stdout as a Markdown table (and --json FILE).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.bench_diffusers_gpu import build_sd_turbo  # noqa: E402
from bench.machine import describe as describe_machine  # noqa: E402

PROMPT = "a lighthouse at dusk"


@dataclass
class Row:
    runner: str
    dtype: str
    decoder: str
    channels_last: bool
    runs: list[float]
    peak_rss_mib: float | None = None
    compiled: bool = False
    #: seconds before the first image could be timed: loading (and compiling, for compiled rows)
    start_s: float | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.runs)


@dataclass(frozen=True)
class Option:
    dtype: str
    decoder: str
    channels_last: bool
    compiled: bool = False


def build(folder: Path, *, tiny: bool, fp16_weights: bool = False) -> tuple[Path, Path]:
    """Save the SD-Turbo-shaped pipeline and a tiny decoder under `folder` (once). With
    `fp16_weights`, the weights are stored as the Hub's `fp16` variant, as SD-Turbo ships."""
    import torch
    from diffusers import AutoencoderTiny

    pipe_dir = folder / ("sd-turbo-fp16" if fp16_weights else "sd-turbo")
    taesd_dir = folder / "taesd"
    if not (pipe_dir / "model_index.json").exists():
        torch.manual_seed(0)
        pipe = build_sd_turbo(folder / "tok", tiny=tiny)
        if fp16_weights:
            pipe.to(torch.float16).save_pretrained(
                pipe_dir, safe_serialization=True, variant="fp16"
            )
        else:
            pipe.save_pretrained(pipe_dir, safe_serialization=True)
        del pipe
    if not (taesd_dir / "config.json").exists():
        AutoencoderTiny().save_pretrained(taesd_dir, safe_serialization=True)
    return pipe_dir, taesd_dir


def bare(
    pipe_dir: Path, taesd_dir: Path, option: Option, runs: int, size: int, variant: str | None
) -> Row:
    """diffusers alone, in this process, the way its docs show it."""
    import torch
    from diffusers import AutoencoderTiny, StableDiffusionPipeline

    dtype = getattr(torch, option.dtype)
    loading = time.perf_counter()
    pipe = StableDiffusionPipeline.from_pretrained(pipe_dir, torch_dtype=dtype, variant=variant)
    if option.decoder == "tiny":
        pipe.vae = AutoencoderTiny.from_pretrained(taesd_dir, torch_dtype=dtype)
    if option.channels_last:
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
    pipe.set_progress_bar_config(disable=True)
    if option.compiled:  # what Limner's LIMNER_DIFFUSERS_COMPILE does on a CPU
        from limner.backends.diffusers.pipelines import compile_arguments

        arguments = compile_arguments(torch.device("cpu"), "auto")
        pipe.unet = torch.compile(pipe.unet, **arguments)
        pipe.vae.decode = torch.compile(pipe.vae.decode, **arguments)

    def once() -> float:
        started = time.perf_counter()
        with torch.inference_mode():
            pipe(PROMPT, num_inference_steps=1, guidance_scale=0.0, width=size, height=size)
        return time.perf_counter() - started

    once()  # warm-up: first-call allocations, oneDNN kernel choice, compiling
    start_s = time.perf_counter() - loading
    times = [once() for _ in range(runs)]
    return Row(
        "diffusers",
        option.dtype,
        option.decoder,
        option.channels_last,
        times,
        compiled=option.compiled,
        start_s=start_s,
    )


def served(
    pipe_dir: Path,
    taesd_dir: Path,
    option: Option,
    runs: int,
    size: int,
    work: Path,
    variant: str | None,
) -> Row:
    """`limner serve` in its own process, timed from the client over HTTP."""
    import httpx

    work.mkdir(parents=True, exist_ok=True)
    models = work / "models.toml"
    tiny = (
        f'tiny_vae = "{taesd_dir}"\ntiny_vae_use = "always"\n' if option.decoder == "tiny" else ""
    )
    if variant:
        tiny += f'variant = "{variant}"\n'
    tables = []
    for style in ("realistic", "anime", "nude"):
        for quality in ("fast", "hires"):
            tables.append(
                f'[{style}.{quality}]\npipeline = "{pipe_dir}"\n'
                f'pipeline_class = "StableDiffusionPipeline"\nsteps = 1\nguidance = 0.0\n'
                f"width = {size}\nheight = {size}\n{tiny}"
            )
    models.write_text("\n".join(tables))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMNER_")}
    env.update(
        LIMNER_DATA_DIR=str(work / "data"),
        LIMNER_BACKEND="diffusers",
        LIMNER_MODELS_FILE=str(models),
        LIMNER_DIFFUSERS_DEVICE="cpu",
        LIMNER_DIFFUSERS_DTYPE=option.dtype,
        LIMNER_DIFFUSERS_CHANNELS_LAST=str(option.channels_last).lower(),
        LIMNER_DIFFUSERS_PRELOAD="true",
        LIMNER_DIFFUSERS_COMPILE=str(option.compiled).lower(),
        LIMNER_GENERATION_TIMEOUT_S="600",
        LIMNER_RATE_LIMIT_FREE="1000/minute",
        PYTHONPATH=str(ROOT / "src"),
    )
    cli = [sys.executable, "-m", "limner.cli"]
    created = subprocess.run(
        [*cli, "keys", "create", "--credits", "1000"], env=env, capture_output=True, text=True
    )
    key = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    starting = time.perf_counter()
    try:
        _wait_ready(base, server)
        start_s = time.perf_counter() - starting
        headers = {"Authorization": f"Bearer {key}"}
        body = {"prompt": PROMPT, "quality": "fast", "style": "realistic", "seed": 1}

        def once() -> float:
            started = time.perf_counter()
            response = httpx.post(
                f"{base}/api/v1/generate", json=body, headers=headers, timeout=600
            )
            response.raise_for_status()
            return time.perf_counter() - started

        once()
        times = [once() for _ in range(runs)]
        rss = _peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return Row(
        "limner",
        option.dtype,
        option.decoder,
        option.channels_last,
        times,
        rss,
        compiled=option.compiled,
        start_s=start_s,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("limner serve exited during start")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("limner serve did not start")


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def options(
    quick: bool, bf16: bool, best_only: bool = False, compiled: bool = False
) -> list[Option]:
    best = Option("bfloat16" if bf16 else "float32", "tiny", True)
    if best_only:
        return [best, Option(best.dtype, "tiny", True, True)] if compiled else [best]
    dtypes = ["float32", "bfloat16"] if bf16 else ["float32"]
    chosen = [Option(d, v, True) for d in dtypes for v in ("full", "tiny")]
    chosen.insert(0, Option("float32", "full", False))  # the old default: nothing tuned
    if bf16:
        chosen.append(Option("bfloat16", "tiny", False))
    if quick:
        chosen = [chosen[0], chosen[-2] if bf16 else chosen[-1]]
    if compiled:
        chosen.append(Option(best.dtype, "tiny", True, True))
    return chosen


def table(rows: list[Row], baseline: float) -> str:
    lines = [
        "| runner | dtype | decoder | channels-last | compiled | p50 s | runs (s) "
        "| x vs baseline | start s | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        runs = ", ".join(f"{value:.2f}" for value in row.runs)
        rss = f"{row.peak_rss_mib / 1024:.2f} GiB" if row.peak_rss_mib else "-"
        start = f"{row.start_s:.0f}" if row.start_s is not None else "-"
        lines.append(
            f"| {row.runner} | {row.dtype} | {row.decoder} | {'on' if row.channels_last else 'off'}"
            f" | {'yes' if row.compiled else 'no'} | {row.p50:.2f} | {runs}"
            f" | {baseline / row.p50:.2f} | {start} | {rss} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--tiny", action="store_true", help="tiny random models (smoke run)")
    parser.add_argument("--quick", action="store_true", help="only the baseline and the best")
    parser.add_argument("--best-only", action="store_true", help="only the best combination")
    parser.add_argument("--only", choices=["diffusers", "limner"], default=None)
    parser.add_argument("--models-dir", type=Path, default=None, help="reuse saved models")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--compile", action="store_true", help="add the best combination with torch.compile"
    )
    parser.add_argument(
        "--fp16-weights", action="store_true", help="store the weights as the fp16 variant"
    )
    args = parser.parse_args()

    import torch

    from limner.backends.diffusers.device import cpu_has_bf16

    folder = args.models_dir or Path(tempfile.mkdtemp(prefix="limner-bench-cpu-"))
    size = 64 if args.tiny else args.size
    pipe_dir, taesd_dir = build(folder, tiny=args.tiny, fp16_weights=args.fp16_weights)
    variant = "fp16" if args.fp16_weights else None
    print(describe_machine())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, bf16 {cpu_has_bf16()}")
    rows: list[Row] = []
    for option in options(args.quick, cpu_has_bf16(), args.best_only, args.compile):
        if args.only in (None, "diffusers"):
            rows.append(bare(pipe_dir, taesd_dir, option, args.runs, size, variant))
            print(rows[-1], flush=True)
        if args.only in (None, "limner"):
            work = folder / (
                f"serve-{option.dtype}-{option.decoder}-{option.channels_last}-{option.compiled}"
            )
            rows.append(served(pipe_dir, taesd_dir, option, args.runs, size, work, variant))
            print(rows[-1], flush=True)
    baseline = rows[0].p50
    print()
    print(table(rows, baseline))
    if args.json:
        args.json.write_text(json.dumps([asdict(row) | {"p50": row.p50} for row in rows], indent=2))


if __name__ == "__main__":
    main()
