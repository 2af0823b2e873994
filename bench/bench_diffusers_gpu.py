#!/usr/bin/env python
"""GPU throughput of the two default architectures: SD-Turbo (SD 2.1 UNet) and SDXL base.

The pipelines are built from configs written below with RANDOM weights (nothing is fetched from the
Hub), so the numbers measure the architecture and the software stack, not image quality. For each
model it reports images/s at the requested batch sizes, eager and torch.compile, and the share of
the GPU's peak dense bf16/fp16 FLOP/s that the whole pipeline call achieves. FLOPs are counted with
torch.utils.flop_counter.FlopCounterMode: per UNet call, and per image for the whole pipeline call
(text encoders + all UNet calls + VAE decode) in eager mode.

    python bench/bench_diffusers_gpu.py                       # both models, batch 1 and 4
    python bench/bench_diffusers_gpu.py --models sdxl --modes eager --json out.json
    python bench/bench_diffusers_gpu.py --tiny --device cpu   # smoke run of this script

Needs a CUDA GPU (except with --tiny --device cpu), torch, diffusers and transformers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: peak dense tensor-core FLOP/s for 16-bit inputs (no sparsity), by a substring of the GPU name
PEAK_TFLOPS_16BIT = {
    "H200": 989.5,
    "H100 SXM": 989.5,
    "H100 80GB HBM3": 989.5,
    "H100 PCIe": 756.0,
    "H100 NVL": 835.0,
    "H100": 756.0,
    "GH200": 989.5,
    "B200": 2250.0,
    "A100": 312.0,
    "A10G": 125.0,
    "A10": 125.0,
    "L40S": 362.0,
    "L4": 121.0,
    "RTX 4090": 165.2,
    "RTX 3090": 71.0,
    "V100": 125.0,
    "T4": 65.0,
}


@dataclass
class ModelSpec:
    name: str
    width: int
    height: int
    steps: int
    guidance: float


MODELS = {
    "sd-turbo": ModelSpec("sd-turbo", 512, 512, steps=2, guidance=0.0),
    "sdxl": ModelSpec("sdxl", 1024, 1024, steps=25, guidance=6.0),
}


# -- architectures ------------------------------------------------------------------------------


def _tokenizer(tmp: Path) -> Any:
    """A byte-level CLIP tokenizer (no merges) written to `tmp`; token ids fit any CLIP vocab."""
    from transformers import CLIPTokenizer

    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable + [256 + i for i in range(256 - len(printable))]
    alphabet = [chr(c) for c in chars]
    vocab = {c: i for i, c in enumerate(alphabet)}
    vocab.update({c + "</w>": len(alphabet) + i for i, c in enumerate(alphabet)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "vocab.json").write_text(json.dumps(vocab))
    (tmp / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer.from_pretrained(tmp, model_max_length=77)


def _clip(
    tokenizer: Any,
    *,
    hidden: int,
    inter: int,
    heads: int,
    layers: int,
    proj: int,
    act: str,
    with_projection: bool,
    tiny: bool,
) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    if tiny:
        hidden, inter, heads, layers, proj = 32, 37, 4, 2, 32
    config = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=hidden,
        intermediate_size=inter,
        num_attention_heads=heads,
        num_hidden_layers=layers,
        projection_dim=proj,
        hidden_act=act,
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return (CLIPTextModelWithProjection if with_projection else CLIPTextModel)(config)


def _vae(sample_size: int, scaling: float, tiny: bool) -> Any:
    from diffusers import AutoencoderKL

    channels = (8, 16, 16, 16) if tiny else (128, 256, 512, 512)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=channels,
        layers_per_block=2,
        norm_num_groups=8 if tiny else 32,
        sample_size=sample_size,
        scaling_factor=scaling,
        force_upcast=False,
    )


def build_sd_turbo(tmp: Path, tiny: bool) -> Any:
    """SD-Turbo = the SD 2.1 architecture: OpenCLIP ViT-H text encoder, 865M-parameter UNet."""
    import torch
    from diffusers import (
        EulerAncestralDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )

    tokenizer = _tokenizer(tmp / "tok")
    text_encoder = _clip(
        tokenizer,
        hidden=1024,
        inter=4096,
        heads=16,
        layers=23,
        proj=512,
        act="gelu",
        with_projection=False,
        tiny=tiny,
    )
    unet = UNet2DConditionModel(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        block_out_channels=(8, 16, 16, 16) if tiny else (320, 640, 1280, 1280),
        layers_per_block=2,
        cross_attention_dim=32 if tiny else 1024,
        attention_head_dim=(2, 2, 2, 2) if tiny else (5, 10, 20, 20),
        use_linear_projection=True,
        norm_num_groups=8 if tiny else 32,
        act_fn="silu",
    )
    # schedulers compute with numpy: built on the CPU even inside `with torch.device("cuda")`,
    # where they failed with "can't convert cuda:0 device type tensor to numpy"
    with torch.device("cpu"):
        scheduler = EulerAncestralDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            timestep_spacing="trailing",
            prediction_type="epsilon",
            steps_offset=1,
        )
    return StableDiffusionPipeline(
        vae=_vae(512, 0.18215, tiny),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def build_sdxl(tmp: Path, tiny: bool) -> Any:
    """SDXL base 1.0: CLIP ViT-L + OpenCLIP bigG text encoders, 2.6B-parameter UNet."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    tokenizer = _tokenizer(tmp / "tok")
    text_encoder = _clip(
        tokenizer,
        hidden=768,
        inter=3072,
        heads=12,
        layers=12,
        proj=768,
        act="quick_gelu",
        with_projection=False,
        tiny=tiny,
    )
    text_encoder_2 = _clip(
        tokenizer,
        hidden=1280,
        inter=5120,
        heads=20,
        layers=32,
        proj=1280,
        act="gelu",
        with_projection=True,
        tiny=tiny,
    )
    time_dim = 8 if tiny else 256
    pooled = 32 if tiny else 1280
    unet = UNet2DConditionModel(
        sample_size=128,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(8, 16, 16) if tiny else (320, 640, 1280),
        layers_per_block=2,
        transformer_layers_per_block=(1, 1, 1) if tiny else (1, 2, 10),
        attention_head_dim=(2, 2, 2) if tiny else (5, 10, 20),
        cross_attention_dim=64 if tiny else 2048,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_dim,
        projection_class_embeddings_input_dim=6 * time_dim + pooled,
        norm_num_groups=8 if tiny else 32,
    )
    with torch.device("cpu"):  # see build_sd_turbo
        scheduler = EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            timestep_spacing="leading",
            steps_offset=1,
        )
    return StableDiffusionXLPipeline(
        vae=_vae(1024, 0.13025, tiny),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )


BUILDERS = {"sd-turbo": build_sd_turbo, "sdxl": build_sdxl}


# -- measuring ----------------------------------------------------------------------------------


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _call(pipe: Any, spec: ModelSpec, batch: int, steps: int) -> Any:
    import torch

    return pipe(
        prompt="a lighthouse at dusk",
        negative_prompt="blurry" if spec.guidance > 1 else None,
        num_images_per_prompt=batch,
        num_inference_steps=steps,
        guidance_scale=spec.guidance,
        width=spec.width,
        height=spec.height,
        generator=torch.Generator("cpu").manual_seed(0),
        # random weights decode to NaN-ish pixels; stopping at a tensor skips a PIL cast warning
        output_type="pt",
    )


def unet_flops(pipe: Any, spec: ModelSpec, device: Any, dtype: Any) -> int:
    """FLOPs of one UNet call for one image (two latents when classifier-free guidance is on)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    unet = pipe.unet
    rows = 2 if spec.guidance > 1 else 1
    latent = torch.randn(rows, 4, spec.height // 8, spec.width // 8, device=device, dtype=dtype)
    context = torch.randn(rows, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
    kwargs: dict[str, Any] = {}
    if unet.config.addition_embed_type == "text_time":
        pooled = (
            unet.config.projection_class_embeddings_input_dim
            - 6 * unet.config.addition_time_embed_dim
        )
        kwargs["added_cond_kwargs"] = {
            "text_embeds": torch.randn(rows, pooled, device=device, dtype=dtype),
            "time_ids": torch.tensor(
                [[spec.height, spec.width, 0, 0, spec.height, spec.width]] * rows,
                device=device,
                dtype=dtype,
            ),
        }
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        unet(latent, torch.tensor(500, device=device), encoder_hidden_states=context, **kwargs)
    return int(counter.get_total_flops())


def pipeline_flops(pipe: Any, spec: ModelSpec, steps: int) -> int:
    """FLOPs of a whole batch-1 pipeline call (text encoders, every UNet call, VAE decode)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        _call(pipe, spec, 1, steps)
    return int(counter.get_total_flops())


def time_calls(
    pipe: Any, spec: ModelSpec, batch: int, steps: int, device: Any, warmup: int, repeat: int
) -> list[float]:
    for _ in range(warmup):
        _call(pipe, spec, batch, steps)
    _sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        _call(pipe, spec, batch, steps)
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def peak_tflops(device: Any, override: float | None) -> tuple[float | None, str]:
    import torch

    if override:
        return override, "given"
    if device.type != "cuda":
        return None, "cpu"
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_TFLOPS_16BIT.items():
        if key in name:
            return value, name
    return None, name


@dataclass
class Row:
    model: str
    mode: str
    batch: int
    steps: int
    size: str
    seconds_median: float
    images_per_s: float
    unet_gflops_per_call: float
    pipeline_gflops_per_image: float
    achieved_tflops: float
    peak_fraction: float | None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="sd-turbo,sdxl", help="comma list: sd-turbo, sdxl")
    parser.add_argument("--batches", default="1,4", help="comma list of batch sizes")
    parser.add_argument("--modes", default="eager,compile", help="comma list: eager, compile")
    parser.add_argument("--steps", type=int, default=None, help="override every model's steps")
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    parser.add_argument("--compile-mode", default="max-autotune-no-cudagraphs")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peak-tflops", type=float, default=None, help="override the peak table")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny configs (smoke test, allows cpu)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("bench_diffusers_gpu: torch is not installed.", file=sys.stderr)
        return 2
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(
            "bench_diffusers_gpu: no CUDA device is available (torch.cuda.is_available() is "
            "False). This benchmark needs an NVIDIA GPU; use --tiny --device cpu for a smoke "
            "run of the script itself.",
            file=sys.stderr,
        )
        return 2
    if device.type == "cpu" and not args.tiny:
        print(
            "bench_diffusers_gpu: full-size models on cpu would take hours; add --tiny.",
            file=sys.stderr,
        )
        return 2
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    if device.type == "cpu":
        dtype = torch.float32
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    peak, gpu = peak_tflops(device, args.peak_tflops)
    print(
        f"# device {gpu}, dtype {dtype}, peak {peak or 'unknown'} TFLOP/s, "
        f"torch {torch.__version__}"
    )

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            spec = MODELS[model.strip()]
            if args.tiny:
                spec = ModelSpec(spec.name, 64, 64, spec.steps, spec.guidance)
            steps = args.steps or spec.steps
            with torch.device(device):  # initialise the random weights on the GPU: much faster
                pipe = BUILDERS[spec.name](Path(tmp) / spec.name, args.tiny)
            pipe.to(device=device, dtype=dtype)
            pipe.set_progress_bar_config(disable=True)
            if device.type == "cuda":
                pipe.unet.to(memory_format=torch.channels_last)
            params = sum(p.numel() for p in pipe.unet.parameters())
            unet_gf = unet_flops(pipe, spec, device, dtype) / 1e9
            pipe_gf = pipeline_flops(pipe, spec, steps) / 1e9
            print(
                f"# {spec.name}: UNet {params / 1e6:.0f}M params, {unet_gf:.0f} GFLOP per UNet "
                f"call, {pipe_gf:.0f} GFLOP per image ({steps} steps, {spec.width}x{spec.height})"
            )
            for mode in args.modes.split(","):
                if mode == "compile":
                    import torch._inductor.config as inductor

                    inductor.conv_1x1_as_mm = True
                    inductor.coordinate_descent_tuning = True
                    pipe.unet = torch.compile(pipe.unet, mode=args.compile_mode, fullgraph=True)
                    pipe.vae.decode = torch.compile(pipe.vae.decode, mode=args.compile_mode)
                for batch in (int(b) for b in args.batches.split(",")):
                    start = time.perf_counter()
                    times = time_calls(
                        pipe,
                        spec,
                        batch,
                        steps,
                        device,
                        args.warmup + (1 if mode == "compile" else 0),
                        args.repeat,
                    )
                    median = statistics.median(times)
                    ips = batch / median
                    achieved = pipe_gf * ips / 1e3
                    row = Row(
                        spec.name,
                        mode,
                        batch,
                        steps,
                        f"{spec.width}x{spec.height}",
                        round(median, 4),
                        round(ips, 3),
                        round(unet_gf, 1),
                        round(pipe_gf, 1),
                        round(achieved, 2),
                        round(achieved / peak, 4) if peak else None,
                    )
                    rows.append(row)
                    print(
                        f"{row.model:9} {row.mode:7} batch {batch}: {median * 1e3:8.1f} ms/call "
                        f"{ips:7.2f} img/s  {achieved:7.1f} TFLOP/s  "
                        f"{'' if peak is None else f'{100 * achieved / peak:5.1f}% of peak'}  "
                        f"(incl. warm-up {time.perf_counter() - start:.0f}s)",
                        flush=True,
                    )
            del pipe
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "device": gpu,
                    "dtype": str(dtype),
                    "peak_tflops": peak,
                    "rows": [asdict(r) for r in rows],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
