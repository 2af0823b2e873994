#!/usr/bin/env python
"""Would OpenVINO beat tuned PyTorch on this CPU? The SD-Turbo UNet and a TAESD decoder, both ways.

The UNet is one SD-Turbo step at 512 px (64x64 latents, batch 1, no guidance) and dominates a
1-step image once the tiny decoder replaces the full VAE. Both are built with RANDOM weights
(compute does not depend on the values), then timed as
- PyTorch: bfloat16 where the CPU has it (else float32), channels-last: what Limner runs;
- OpenVINO: the same modules converted with `openvino.convert_model`, compiled for the CPU with
  the bf16 inference precision hint where supported (else f32).
Limner adopts a runtime only if it is at least 1.5x faster at the same output.

Needs `pip install openvino` beside torch and diffusers (not a Limner dependency):

    python bench/bench_cpu_openvino.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_diffusers_gpu import build_sd_turbo  # noqa: E402
from bench.machine import describe as describe_machine  # noqa: E402


def timed(call: Any, runs: int) -> list[float]:
    call()  # warm-up: allocations, kernel choice
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tiny", action="store_true", help="tiny models (smoke run)")
    args = parser.parse_args()

    import openvino as ov
    import torch
    from diffusers import AutoencoderTiny

    bf16 = bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())
    dtype = torch.bfloat16 if bf16 else torch.float32
    print(describe_machine())
    print(
        f"torch {torch.__version__}, openvino {ov.__version__}, threads "
        f"{torch.get_num_threads()}, bf16 {bf16}"
    )
    torch.manual_seed(0)
    pipe = build_sd_turbo(Path(tempfile.mkdtemp()) / "tok", tiny=args.tiny)
    unet, taesd = pipe.unet.eval(), AutoencoderTiny().eval()
    latents = torch.randn(1, 4, 64, 64)
    context = torch.randn(1, 77, pipe.text_encoder.config.hidden_size)
    step = torch.tensor([999])

    class UNetCall(torch.nn.Module):
        def __init__(self, unet: Any) -> None:
            super().__init__()
            self.unet = unet

        def forward(self, sample: Any, timestep: Any, hidden: Any) -> Any:
            return self.unet(sample, timestep, hidden, return_dict=False)[0]

    class Decode(torch.nn.Module):
        def __init__(self, vae: Any) -> None:
            super().__init__()
            self.vae = vae

        def forward(self, sample: Any) -> Any:
            return self.vae.decode(sample, return_dict=False)[0]

    rows = []
    with torch.inference_mode():
        unet_fp32 = UNetCall(unet)
        decode_fp32 = Decode(taesd)
        ov_core = ov.Core()
        config = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32"}
        started = time.perf_counter()
        ov_unet = ov_core.compile_model(
            ov.convert_model(unet_fp32, example_input=(latents, step, context)), "CPU", config
        )
        ov_decode = ov_core.compile_model(
            ov.convert_model(decode_fp32, example_input=(latents,)), "CPU", config
        )
        print(f"OpenVINO convert + compile: {time.perf_counter() - started:.1f} s")
        reference_unet = unet_fp32(latents, step, context)
        reference_image = decode_fp32(latents)

        unet.to(dtype=dtype, memory_format=torch.channels_last)
        taesd.to(dtype=dtype, memory_format=torch.channels_last)
        pt_unet = timed(lambda: unet_fp32(latents.to(dtype), step, context.to(dtype)), args.runs)
        pt_decode = timed(lambda: decode_fp32(latents.to(dtype)), args.runs)
        pt_out = unet_fp32(latents.to(dtype), step, context.to(dtype)).float()
        ov_unet_times = timed(lambda: ov_unet((latents, step, context)), args.runs)
        ov_decode_times = timed(lambda: ov_decode((latents,)), args.runs)
        ov_out = torch.from_numpy(ov_unet((latents, step, context))[0])
        ov_image = torch.from_numpy(ov_decode((latents,))[0])

    def error(out: Any, ref: Any) -> float:
        return float((out - ref).abs().mean() / ref.abs().mean())

    rows.append(
        (
            "UNet step",
            pt_unet,
            ov_unet_times,
            error(pt_out, reference_unet),
            error(ov_out, reference_unet),
        )
    )
    rows.append(
        ("TAESD decode", pt_decode, ov_decode_times, float("nan"), error(ov_image, reference_image))
    )
    print()
    print(
        "| part | PyTorch p50 s | OpenVINO p50 s | OpenVINO speed-up | rel. error PyTorch "
        "| rel. error OpenVINO |"
    )
    print("|---|---|---|---|---|---|")
    for name, pt, ovt, pt_err, ov_err in rows:
        pt50, ov50 = statistics.median(pt), statistics.median(ovt)
        print(
            f"| {name} | {pt50:.3f} | {ov50:.3f} | {pt50 / ov50:.2f}x | {pt_err:.4f} "
            f"| {ov_err:.4f} |"
        )


if __name__ == "__main__":
    main()
