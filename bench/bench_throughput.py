#!/usr/bin/env python
"""End-to-end throughput of `limner serve` against `/healthz` on the same server, with provenance
verified on every image.

    python bench/bench_throughput.py                                  # placeholder, 8 clients
    python bench/bench_throughput.py --clients 8,32 --requests 400
    python bench/bench_throughput.py --backend diffusers --models-dir DIR   # a saved pipeline
    python bench/bench_throughput.py --backend diffusers --tiny       # builds a tiny one here
    python bench/bench_throughput.py --gpu                            # SD-Turbo, random weights

Each run starts a real `limner serve` (subprocess, temp data dir, a fresh key), drives it with N
concurrent httpx clients (each POSTs /api/v1/generate and downloads the image), and prints
images/s, p50/p95 latency, the server's per-stage means (from /metrics), `/healthz` requests/s
with the same clients on the same server, and the ratio generate / healthz. Every returned image
is checked after the timed window with `limner.provenance.verify` (metadata, watermark read from
the pixels, C2PA signature): the run fails if one image lacks any of them.

`--gpu` builds the SD-Turbo architecture (SD 2.1 UNet, OpenCLIP-H text encoder, SD VAE) with
random weights (nothing from the Hub), saves it, measures the bare pipeline (eager and compiled,
batch 1/4/8, 1 step, 512 px), then serves the saved folder at 8 and 32 clients and prints the
ratio end-to-end / best bare. The machine is described by bench/machine.py.
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
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.live_server import free_port  # noqa: E402

from bench.machine import describe  # noqa: E402

PROMPT = "a lighthouse at dusk"


@dataclass
class Result:
    label: str
    clients: int
    requests: int
    seconds: float
    latencies: list[float]
    images: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000


class Server:
    """A `limner serve` subprocess with its own data dir and a pro key."""

    def __init__(
        self,
        env_extra: dict[str, str],
        *,
        label: str,
        pythonpath: str | None,
        sfw_only: bool = False,
    ) -> None:
        self.label = label
        self.data_dir = tempfile.mkdtemp(prefix="limner-tp-")
        self.env = {
            **os.environ,
            "LIMNER_DATA_DIR": self.data_dir,
            "LIMNER_RATE_LIMIT_PRO": "1000000/minute",
            "LIMNER_PRO_DAILY_CREDITS": "100000000",
            "LIMNER_GENERATION_QUEUE_SIZE": "256",
            "LIMNER_GENERATION_PER_KEY_LIMIT": "64",
            "LIMNER_GENERATION_WORKERS": "2",
            **env_extra,
        }
        if pythonpath:
            # first, ahead of what this process was given (a device machine's carried wheels)
            inherited = os.environ.get("PYTHONPATH", "")
            self.env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, inherited) if p)
        cli = [sys.executable, "-m", "limner.cli"]
        made = subprocess.run(
            [*cli, "keys", "create", "--plan", "pro", *(["--sfw-only"] if sfw_only else [])],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.key = made.stdout.strip().splitlines()[-1]
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [*cli, "serve", "--port", str(port), "--log-level", "warning"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            # a file, not a pipe: a pipe nobody reads would stall a chatty server
            stderr=(Path(self.data_dir) / "serve.log").open("wb"),
        )
        self._wait_ready(timeout_s=900)

    def _wait_ready(self, timeout_s: float) -> None:
        """Until /healthz answers; a server that exits (a bad models file) fails at once."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (Path(self.data_dir) / "serve.log").read_text(errors="replace")
                raise RuntimeError(f"limner serve exited: {log[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.base} did not become ready in {timeout_s:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def stages(self) -> dict[str, float]:
        """Mean seconds per stage from /metrics (limner_stage_seconds_{sum,count})."""
        text = httpx.get(f"{self.base}/metrics", timeout=10).text
        sums: dict[str, float] = {}
        counts: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("#") or "stage=" not in line:
                continue
            name, _, value = line.rpartition(" ")
            stage = name.split('stage="', 1)[1].split('"', 1)[0]
            if "_sum" in name:
                sums[stage] = sums.get(stage, 0.0) + float(value)
            elif "_count" in name:
                counts[stage] = counts.get(stage, 0.0) + float(value)
        return {s: sums[s] / counts[s] for s in sums if counts.get(s)}


def drive(
    server: Server, clients: int, requests: int, *, generate: bool, body: dict[str, Any]
) -> Result:
    """`requests` calls split over `clients` threads, each with its own connection."""
    latencies: list[float] = []
    images: list[tuple[str, bytes]] = []
    headers = {"Authorization": f"Bearer {server.key}"}

    def worker(count: int) -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=600) as client:
            for _ in range(count):
                started = time.perf_counter()
                if generate:
                    reply = client.post("/api/v1/generate", json=body)
                    if reply.status_code != 200:
                        raise RuntimeError(f"{reply.status_code}: {reply.text}")
                    answer = reply.json()
                    image = client.get(answer["image_url"])
                    image.raise_for_status()
                    images.append((answer["id"], image.content))
                else:
                    client.get("/healthz").raise_for_status()
                latencies.append(time.perf_counter() - started)

    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, shares))
    seconds = time.perf_counter() - started
    label = "generate" if generate else "/healthz"
    return Result(label, clients, requests, seconds, latencies, images)


def _verify_one(item: tuple[str, bytes, bytes | None]) -> str | None:
    """None if the image has its metadata, watermark and a valid C2PA manifest naming its id."""
    from limner.provenance import verify

    generation_id, data, trust_pem = item
    found = verify(data, trust_anchors_pem=trust_pem)
    if (
        found.ai_generated
        and found.generation_id == generation_id
        and found.watermark_id == generation_id
        and found.c2pa_valid
    ):
        return None
    return f"provenance check failed on {generation_id}: {found}"


def verify_all(images: list[tuple[str, bytes]], trust_pem: bytes | None) -> int:
    """Check metadata, watermark and C2PA of every image, on every core (after the timed
    window); raise on the first that lacks one."""
    import multiprocessing

    items = [(generation_id, data, trust_pem) for generation_id, data in images]
    # fork: the children need no CUDA, and inherit this process's import path
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(os.cpu_count(), mp_context=fork) as pool:
        for problem in pool.map(_verify_one, items, chunksize=8):
            if problem:
                raise RuntimeError(problem)
    return len(images)


def measure_server(
    server: Server, clients_list: list[int], requests: int, body: dict[str, Any], warmup: int
) -> list[dict[str, Any]]:
    rows = []
    drive(server, min(clients_list), warmup, generate=True, body=body)
    drive(server, min(clients_list), warmup * 4, generate=False, body=body)
    trust = (Path(server.data_dir) / "keys" / "ca-cert.pem").read_bytes()
    for clients in clients_list:
        # one client measures a lone request on an idle server: fewer requests suffice
        count = min(requests, 40) if clients == 1 else requests
        health = drive(server, clients, count * 10, generate=False, body=body)
        gen = drive(server, clients, count, generate=True, body=body)
        checked = verify_all(gen.images, trust)
        rows.append(
            {
                "server": server.label,
                "clients": clients,
                "images_per_s": gen.per_s,
                "p50_ms": gen.p50,
                "p95_ms": gen.pct(0.95),
                "healthz_per_s": health.per_s,
                "ratio": gen.per_s / health.per_s,
                "verified": checked,
                "stages_ms": {k: v * 1000 for k, v in server.stages().items()},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def print_rows(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| server | clients | images/s | p50 ms | p95 ms | /healthz req/s | ratio | verified |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['server']} | {r['clients']} | {r['images_per_s']:.2f} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['healthz_per_s']:.0f} | {r['ratio']:.4f} | "
            f"{r['verified']}/{r['verified']} |"
        )
    lines += ["", "Server-side mean per image, ms (from /metrics, all requests so far):", ""]
    for r in rows:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["stages_ms"].items()))
        lines.append(f"- {r['server']}, {r['clients']} clients: {stages}")
    text = "\n".join(lines)
    print(text)
    return text


# -- diffusers: the models file, the tiny pipeline, the GPU's SD-Turbo ---------------------------


def models_toml(
    folder: Path, out: Path, *, steps: int, size: int, guidance: float, max_batch: int = 4
) -> Path:
    """Every preset (the registry wants all six) on the one saved pipeline; the bench asks for
    realistic/fast only."""
    presets = [
        f"[{style}.{quality}]\npipeline = {json.dumps(str(folder))}\n"
        f'pipeline_class = "StableDiffusionPipeline"\nsteps = {steps}\n'
        f"guidance = {guidance}\nwidth = {size}\nheight = {size}\nmax_batch = {max_batch}\n"
        for style in ("realistic", "anime", "nude")
        for quality in ("fast", "hires")
    ]
    out.write_text("\n".join(presets))
    return out


def diffusers_env(models_file: Path, extra: dict[str, str]) -> dict[str, str]:
    return {
        "LIMNER_BACKEND": "diffusers",
        "LIMNER_MODELS_FILE": str(models_file),
        "LIMNER_DIFFUSERS_DOWNLOAD": "false",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


def gpu_bare(
    folder: Path,
    batches: list[int],
    steps: int,
    *,
    compile_mode: str | None,
    device: str = "cuda",
    size: int = 512,
    eager: bool = True,
    graphs: bool = False,
) -> list[dict[str, Any]]:
    """images/s of the bare saved pipeline, eager (unless not `eager`) then compiled
    (`compile_mode`; None: not compiled), at each batch size."""
    import torch
    from diffusers import StableDiffusionPipeline

    dtype = torch.float16 if device == "cuda" else torch.float32
    pipe = StableDiffusionPipeline.from_pretrained(folder, torch_dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)
    pipe.unet.to(memory_format=torch.channels_last)
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows = []
    modes = (["eager"] if eager else []) + (["graphs"] if graphs else [])
    modes += ["compile"] if compile_mode else []
    for mode in modes:
        if mode == "graphs":
            from limner.backends.diffusers.cuda_graphs import graph_decoder, graph_denoiser

            graph_denoiser(pipe.unet)
            graph_decoder(pipe.vae)
        if mode == "compile":
            pipe.unet = torch.compile(pipe.unet, mode=compile_mode)
            pipe.vae.decode = torch.compile(pipe.vae.decode, mode=compile_mode)
        for batch in batches:

            def call(batch: int = batch, pipe: Any = pipe) -> None:
                pipe(
                    prompt=[PROMPT] * batch,
                    num_inference_steps=steps,
                    guidance_scale=0.0,
                    width=size,
                    height=size,
                    generator=[torch.Generator("cpu").manual_seed(i) for i in range(batch)],
                    output_type="pil",
                )

            warm_started = time.perf_counter()
            for _ in range(3):
                call()
            synchronize()
            warm_s = time.perf_counter() - warm_started
            times = []
            for _ in range(8):
                started = time.perf_counter()
                call()
                synchronize()
                times.append(time.perf_counter() - started)
            median = statistics.median(times)
            rows.append(
                {
                    "mode": f"compile ({compile_mode})" if mode == "compile" else mode,
                    "batch": batch,
                    "ms": median * 1000,
                    "ips": batch / median,
                    "warm_up_s": warm_s,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    del pipe
    if device == "cuda":
        torch.cuda.empty_cache()
    return rows


def build_sd_turbo(out: Path, *, tiny: bool = False) -> Path:
    """The SD-Turbo architecture with random weights, saved to `out` (fp16 on a GPU); `tiny`:
    the same layout at toy widths, for a CPU smoke run of the GPU path."""
    import torch

    from bench.bench_diffusers_gpu import build_sd_turbo as build

    cuda = torch.cuda.is_available() and not tiny
    # random weights initialise much faster on the GPU; the schedulers are built on the CPU
    with torch.device("cuda" if cuda else "cpu"):
        pipe = build(out.parent / f"_{out.name}-build", tiny=tiny)
    if cuda:
        pipe.to(dtype=torch.float16)
    pipe.save_pretrained(out, safe_serialization=True)
    return out


def gpu_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return f"{props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}"
    except ImportError:
        pass
    return "no CUDA GPU"


def stamp_profile(repeat: int = 20) -> str:
    """Median ms of each part of one 512 px stamp, single-threaded, on a placeholder image and
    on the tests' synthetic natural-looking one."""
    import io

    import numpy as np
    from PIL import Image
    from tests.unit.provenance._images import natural_image

    from limner.backends.base import GenerationSpec
    from limner.backends.placeholder import render_placeholder
    from limner.domain.styles import Quality, Style
    from limner.provenance import _metadata, _watermark
    from limner.provenance._ids import id_to_bits

    _watermark.one_blas_thread()
    gid = "gen_abcdefghijklmnop"
    spec = GenerationSpec(
        generation_id=gid, prompt=PROMPT, style=Style.realistic, quality=Quality.fast, seed=1
    )
    images = {
        "placeholder": np.asarray(render_placeholder(spec)),
        "natural (synthetic)": np.asarray(natural_image(512, seed=1).convert("RGB")),
    }
    meta = _metadata.Metadata(_metadata.TRAINED, "Limner bench", gid)

    def median_ms(work: Any) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    lines = ["| part | image | ms | bytes |", "|---|---|---|---|"]
    bits = id_to_bits(gid)
    for name, rgb in images.items():
        marked = Image.fromarray(_watermark.embed(rgb, bits))

        def embed(rgb: Any = rgb) -> None:
            _watermark.embed_checked(rgb, bits)

        lines.append(f"| watermark embed (+ its proof) | {name} | {median_ms(embed):.1f} | |")
        for level in (1, 3, 6, 9):

            def png(level: int = level, marked: Image.Image = marked) -> bytes:
                return _metadata.encode(marked, "PNG", meta, png_level=level)

            lines.append(
                f"| PNG encode, level {level} | {name} | {median_ms(png):.1f} | {len(png())} |"
            )
        data = _metadata.encode(marked, "PNG", meta, png_level=1)

        def readback(data: bytes = data) -> None:
            _watermark.read(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))

        lines.append(f"| PNG decode + read-back (dropped) | {name} | {median_ms(readback):.1f} | |")
        for fmt in ("JPEG", "WEBP"):

            def lossy(fmt: str = fmt, marked: Image.Image = marked) -> bytes:
                return _metadata.encode(marked, fmt, meta)

            lines.append(
                f"| {fmt} encode (q 92) | {name} | {median_ms(lossy):.1f} | {len(lossy())} |"
            )
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["placeholder", "diffusers"], default="placeholder")
    parser.add_argument("--models-dir", type=Path, help="a saved StableDiffusionPipeline folder")
    parser.add_argument("--tiny", action="store_true", help="build a tiny pipeline here (CPU)")
    parser.add_argument("--gpu", action="store_true", help="SD-Turbo on CUDA: bare, then served")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="with --gpu: a toy SD-Turbo on the CPU (checks this path)",
    )
    parser.add_argument(
        "--compile-mode",
        default="default",
        help="torch.compile mode of the bare compiled rows ('none': eager only)",
    )
    parser.add_argument("--bare-batches", default="1,4,8")
    parser.add_argument("--compiled-only", action="store_true", help="no eager bare rows")
    parser.add_argument(
        "--bare-graphs", action="store_true", help="also bare rows with Limner's CUDA graphs"
    )
    parser.add_argument("--bare-only", action="store_true", help="with --gpu: start no server")
    parser.add_argument("--bare-json", type=Path, help="write the bare rows here (JSON)")
    parser.add_argument(
        "--bare-from", help="comma-separated --bare-json files: use these rows, measure none"
    )
    parser.add_argument("--max-batch", type=int, default=8, help="the served preset's max_batch")
    parser.add_argument(
        "--models-out", type=Path, help="with --gpu: save the built pipeline here (kept)"
    )
    parser.add_argument("--clients", default="8")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each server in turn")
    parser.add_argument(
        "--baseline-src",
        help="also run this src/ (e.g. a checkout of main) first, same settings, for the ratio",
    )
    parser.add_argument("--label", default="this tree", help="this tree's rows are named so")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    parser.add_argument(
        "--sfw-only", action="store_true", help="an SFW-only key: every image is screened"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="LABEL:KEY=VALUE[,KEY=VALUE]: also run this tree with these settings (repeatable)",
    )
    parser.add_argument("--out", type=Path, help="append the markdown table here")
    parser.add_argument(
        "--stamp-profile", action="store_true", help="only time the parts of one stamp"
    )
    args = parser.parse_args(argv)
    if args.stamp_profile:
        print(f"# machine: {describe()}; load average {os.getloadavg()}", flush=True)
        stamp_profile()
        return 0
    clients = [int(c) for c in args.clients.split(",")]
    extra = dict(item.split("=", 1) for item in args.env)
    body: dict[str, Any] = {"prompt": PROMPT, "quality": "fast"}

    print(f"# machine: {describe()}", flush=True)
    if args.gpu:
        print(f"# GPU: {gpu_name()}", flush=True)
    print(f"# load average: {os.getloadavg()}", flush=True)
    bare_rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env: dict[str, str] = dict(extra)
        if args.gpu:
            size = 64 if args.smoke else 512
            folder = args.models_dir
            if folder is None:
                started = time.perf_counter()
                folder = build_sd_turbo(args.models_out or Path(tmp) / "sd-turbo", tiny=args.smoke)
                print(f"# built and saved in {time.perf_counter() - started:.1f} s", flush=True)
            if args.bare_from:
                # measured by an earlier run on this machine (a device lease split in calls)
                for each in args.bare_from.split(","):
                    bare_rows += json.loads(Path(each).read_text())
            else:
                bare_rows = gpu_bare(
                    folder,
                    [int(b) for b in args.bare_batches.split(",") if b],
                    steps=1,
                    compile_mode=None if args.compile_mode == "none" else args.compile_mode,
                    device="cpu" if args.smoke else "cuda",
                    size=size,
                    eager=not args.compiled_only,
                    graphs=args.bare_graphs,
                )
            if args.bare_json:
                args.bare_json.write_text(json.dumps(bare_rows))
            models = models_toml(
                folder,
                Path(tmp) / "models.toml",
                steps=1,
                size=size,
                guidance=0,
                max_batch=args.max_batch,
            )
            env = diffusers_env(
                models,
                {
                    "LIMNER_DIFFUSERS_DTYPE": "float32" if args.smoke else "float16",
                    # slots for batching: 32 clients' generations meet before the GPU
                    "LIMNER_GENERATION_WORKERS": "32",
                    "LIMNER_DIFFUSERS_PRELOAD": "true",
                    **extra,
                },
            )
            clients = clients if args.clients != "8" else [8, 32]
        elif args.backend == "diffusers":
            folder = args.models_dir
            if folder is None:
                from tests.support.tiny_pipelines import build_tiny_sd

                folder = build_tiny_sd(Path(tmp) / "tiny-sd")
            models = models_toml(folder, Path(tmp) / "models.toml", steps=2, size=64, guidance=2)
            env = diffusers_env(models, extra)
        rows: list[dict[str, Any]] = []
        for _ in range(0 if args.bare_only else args.repeat):
            runs: list[tuple[str, str, dict[str, str]]] = []
            if args.baseline_src:
                runs.append(("today (baseline)", args.baseline_src, {}))
            runs.append((args.label, str(ROOT / "src"), {}))
            for variant in args.variant:
                label, _, settings = variant.partition(":")
                pairs = dict(pair.split("=", 1) for pair in settings.split(",") if pair)
                runs.append((label, str(ROOT / "src"), pairs))
            for label, src, more in runs:
                server = Server(
                    {**env, **more}, label=label, pythonpath=src, sfw_only=args.sfw_only
                )
                try:
                    rows += measure_server(server, clients, args.requests, body, args.warmup)
                finally:
                    server.stop()
    text = print_rows(rows)
    if bare_rows:
        best = max(bare_rows, key=lambda r: r["ips"])
        lines = ["", "| bare | batch | ms/call | images/s | warm-up s |", "|---|---|---|---|---|"]
        lines += [
            f"| {r['mode']} | {r['batch']} | {r['ms']:.1f} | {r['ips']:.2f} | "
            f"{r['warm_up_s']:.1f} |"
            for r in bare_rows
        ]
        lone = {r["mode"]: r["ms"] for r in bare_rows if r["batch"] == 1}
        for r in rows:
            if r["clients"] == 1 and lone:
                gaps = ", ".join(
                    f"{r['p50_ms'] - ms:+.0f} ms vs {mode}" for mode, ms in lone.items()
                )
                lines.append(f"\nlone request p50 over bare batch 1, {r['server']}: {gaps}")
        for r in rows:
            lines.append(
                f"\nend to end / best bare ({best['mode']} batch {best['batch']}), "
                f"{r['clients']} clients, {r['server']}: {r['images_per_s'] / best['ips']:.3f}"
            )
        text += "\n".join(lines)
        print("\n".join(lines))
    if args.out:
        with args.out.open("a") as handle:
            handle.write(f"\nMachine: {describe()}\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
