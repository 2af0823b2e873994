#!/usr/bin/env python
"""Seconds of compute per second of video: LTX-Video (the default video model) with RANDOM
weights, plus Limner's encode (H.264 MP4) and provenance (watermark in every frame, C2PA) time
per second of video.

The LTX-Video architecture is built at its real size (the default `LTXVideoTransformer3DModel`:
28 layers, 2048 wide, about 1.9B parameters; the default `AutoencoderKLLTXVideo`), in bfloat16,
with random weights (compute does not depend on the values; nothing comes from a hub). The T5-XXL
text encoder (4.7B parameters, about 9.5 GB in bf16) does not fit beside it on a 24 GiB machine
that others share: a one-layer T5 of the same width (4096) stands in, so the text encoding, one
pass per request, is NOT in the figures. Per preset it times:

- denoising: the pipeline for `--steps` steps (2 by default) at the preset's size, for a clip of
  `--seconds` (default 4 s at 24 fps: 97 frames; a shorter clip scales linearly per second,
  which slightly underestimates longer clips, whose attention grows with the square),
  with classifier-free guidance (guidance 3.0: two transformer passes per step), latents out; the
  time per step is the median of the steps after the first; the preset's whole run is that times
  its `steps` (30 fast, 40 hires), extrapolated, not measured;
- decoding: the VAE decodes `--decode-frames` frames; per second of video scaled linearly;
- encode and provenance (Limner's own work, at the real frame size): watermark every frame,
  H.264 MP4, C2PA signature, per second of video; and whether the watermark survives H.264 at
  that size (read back from the decoded MP4).

    python bench/bench_video.py                      # CPU, bf16, the fast preset (slow: minutes)
    python bench/bench_video.py --device cuda        # a GPU (bf16), both presets
    python bench/bench_video.py --tiny               # a smoke run of this script

Results go to stdout as Markdown (and --json FILE).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.machine import describe as describe_machine  # noqa: E402

PROMPT = "a lighthouse at dusk, waves rolling in"
#: the packaged presets (src/limner/backends/diffusers/default_models.toml)
PRESETS = {"fast": (512, 320, 30), "hires": (704, 480, 40)}
FPS = 24
SECONDS = 4  # the default duration_s


@dataclass
class ModelRow:
    preset: str
    device: str
    width: int
    height: int
    frames: int
    step_s: float
    steps: int
    decode_s_per_video_s: float
    peak_rss_gib: float | None

    #: seconds of video the timed clip holds (`--seconds`)
    seconds: int = SECONDS

    @property
    def denoise_s_per_video_s(self) -> float:
        return self.step_s * self.steps / self.seconds

    @property
    def total_s_per_video_s(self) -> float:
        return self.denoise_s_per_video_s + self.decode_s_per_video_s


@dataclass
class OutputRow:
    width: int
    height: int
    watermark_s_per_video_s: float
    encode_s_per_video_s: float
    c2pa_s_per_video_s: float
    mp4_kib_per_video_s: float
    watermark_read_back: bool
    #: the baseline, measured in the same run: stamping one still image (the poster) as PNG
    still_stamp_s: float = 0.0

    @property
    def total_s_per_video_s(self) -> float:
        return self.watermark_s_per_video_s + self.encode_s_per_video_s + self.c2pa_s_per_video_s


def build_pipeline(tiny: bool, dtype: Any) -> Any:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from tests.support.tiny_pipelines import build_tiny_tokenizer
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # initialise in bf16: no fp32 copy of 1.9B parameters
    try:
        if tiny:
            transformer = LTXVideoTransformer3DModel(
                in_channels=8, out_channels=8, num_attention_heads=4, attention_head_dim=8,
                cross_attention_dim=32, num_layers=1, caption_channels=32,
            )  # fmt: skip
            vae = AutoencoderKLLTXVideo(
                latent_channels=8, block_out_channels=(8, 8, 8, 8),
                decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
                decoder_layers_per_block=(1, 1, 1, 1, 1),
                spatio_temporal_scaling=(True, True, False, False),
                decoder_spatio_temporal_scaling=(True, True, False, False),
                spatial_compression_ratio=4, temporal_compression_ratio=4,
                patch_size=1, patch_size_t=1,
            )  # fmt: skip
            width = 32
        else:
            transformer = LTXVideoTransformer3DModel()
            vae = AutoencoderKLLTXVideo()
            width = 4096
        tokenizer = build_tiny_tokenizer(Path(tempfile.mkdtemp()) / "tok")
        text_encoder = T5EncoderModel(
            T5Config(
                vocab_size=len(tokenizer),  # type: ignore[arg-type]
                d_model=width, d_kv=64 if not tiny else 8, d_ff=2 * width,
                num_layers=1, num_heads=width // 64 if not tiny else 4,
            )
        )  # fmt: skip
    finally:
        torch.set_default_dtype(previous)
    pipe = LTXPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def peak_rss_gib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def time_model(
    pipe: Any, preset: str, device: str, steps: int, decode_frames: int, tiny: bool, seconds: int
) -> ModelRow:
    import torch

    width, height, preset_steps = PRESETS[preset]
    if tiny:
        width, height = 64, 64
    ratio = pipe.vae_temporal_compression_ratio
    frames = ((seconds * FPS - 1 + ratio - 1) // ratio) * ratio + 1
    marks: list[float] = []

    def on_step_end(_pipe: Any, _step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if device == "cuda":
            torch.cuda.synchronize()
        marks.append(time.perf_counter())
        # as it goes: a run cut short still tells its steps
        print(f"# step {len(marks)}: {marks[-1] - start:.1f} s since start", file=sys.stderr)
        return kwargs

    start = time.perf_counter()
    with torch.inference_mode():
        pipe(
            prompt=PROMPT, negative_prompt="", num_inference_steps=steps, guidance_scale=3.0,
            width=width, height=height, num_frames=frames, frame_rate=FPS,
            max_sequence_length=128, generator=torch.Generator("cpu").manual_seed(0),
            output_type="latent", callback_on_step_end=on_step_end,
        )  # fmt: skip
    times = [b - a for a, b in zip([start, *marks], marks, strict=False)]
    step_s = statistics.median(times[1:]) if len(times) > 1 else times[0]

    # decoding: a short clip's latents, scaled to a second of video
    latent_frames = (decode_frames - 1) // ratio + 1
    spatial = pipe.vae_spatial_compression_ratio
    latents = torch.randn(
        1, pipe.vae.config.latent_channels, latent_frames, height // spatial, width // spatial,
        dtype=pipe.vae.dtype, device=device,
    )  # fmt: skip
    with torch.inference_mode():
        started = time.perf_counter()
        pipe.vae.decode(latents, return_dict=False)
        if device == "cuda":
            torch.cuda.synchronize()
        decode_s = time.perf_counter() - started
    decoded_frames = (latent_frames - 1) * ratio + 1
    return ModelRow(
        preset=preset, device=device, width=width, height=height, frames=frames,
        step_s=step_s, steps=preset_steps, decode_s_per_video_s=decode_s * FPS / decoded_frames,
        peak_rss_gib=peak_rss_gib() if device == "cpu" else None, seconds=seconds,
    )  # fmt: skip


def time_output(width: int, height: int, seconds: int) -> OutputRow:
    import numpy as np

    from limner.ids import new_generation_id
    from limner.media.video import decode_frames, encode_mp4
    from limner.provenance import _c2pa, _video, _watermark
    from limner.provenance._keys import load_or_create

    rng = np.random.default_rng(0)
    # smooth moving content, like a video (noise would make H.264 and the watermark look worse)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for index in range(seconds * FPS):
        shift = index * 3.0
        base = 127 + 60 * np.sin((x + shift) / 37) + 50 * np.cos((y - shift / 2) / 23)
        pixels = np.stack([base, base * 0.8 + 20, 255 - base], axis=-1)
        pixels += rng.normal(0, 3, pixels.shape)
        frames.append(pixels.clip(0, 255).astype(np.uint8))
    generation_id = new_generation_id()
    started = time.perf_counter()
    marked = _video.watermark_frames(frames, generation_id, key=_watermark.DEFAULT_KEY)
    watermark_s = time.perf_counter() - started
    started = time.perf_counter()
    data = encode_mp4(marked, FPS)
    encode_s = time.perf_counter() - started
    signer = _c2pa.C2paSigner(load_or_create(Path(tempfile.mkdtemp())))
    started = time.perf_counter()
    signed = signer.sign(
        data, fmt="MP4", generator="Limner bench", generation_id=generation_id,
        digital_source_type="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    )  # fmt: skip
    c2pa_s = time.perf_counter() - started
    from PIL import Image

    from limner.provenance import ProvenanceStamper

    stamper = ProvenanceStamper(key_dir=Path(tempfile.mkdtemp()))
    started = time.perf_counter()
    stamper.stamp(Image.fromarray(frames[0]), generation_id=generation_id)
    still_s = time.perf_counter() - started
    first = np.asarray(decode_frames(signed, limit=1)[0], dtype=np.uint8)
    read = _watermark.read(first, key=_watermark.DEFAULT_KEY).generation_id == generation_id
    return OutputRow(
        width=width, height=height,
        watermark_s_per_video_s=watermark_s / seconds, encode_s_per_video_s=encode_s / seconds,
        c2pa_s_per_video_s=c2pa_s / seconds, mp4_kib_per_video_s=len(signed) / 1024 / seconds,
        watermark_read_back=read, still_stamp_s=still_s,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--presets", default=None, help="fast,hires (default: fast on CPU)")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument(
        "--seconds", type=int, default=SECONDS, help="clip length timed (default 4, the default)"
    )
    parser.add_argument("--decode-frames", type=int, default=9)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()

    import torch

    if options.threads:
        torch.set_num_threads(options.threads)
    presets = (options.presets or ("fast" if options.device == "cpu" else "fast,hires")).split(",")
    model_rows: list[ModelRow] = []
    if not options.skip_model:
        pipe = build_pipeline(options.tiny, torch.bfloat16).to(options.device)
        for preset in presets:
            row = time_model(
                pipe, preset, options.device, options.steps, options.decode_frames, options.tiny,
                options.seconds,
            )  # fmt: skip
            model_rows.append(row)
            print(f"# {row}", file=sys.stderr, flush=True)
        del pipe
    output_rows = [
        time_output(w, h, 1 if options.tiny else 2)
        for w, h, _ in (PRESETS.values() if not options.tiny else [(64, 64, 0)])
    ]
    device_name = torch.cuda.get_device_name() if options.device == "cuda" else "CPU"
    print(f"Machine: {describe_machine()}; device {device_name}; torch {torch.__version__}\n")
    print(
        "| preset | size | frames timed (24 fps) | s/step (CFG) | steps | denoise s per video s "
        "(extrapolated) | VAE decode s per video s | total s per video s | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in model_rows:
        rss = f"{r.peak_rss_gib:.1f} GiB" if r.peak_rss_gib else "-"
        print(
            f"| {r.preset} | {r.width}x{r.height} | {r.frames} | {r.step_s:.1f} | {r.steps} | "
            f"{r.denoise_s_per_video_s:.0f} | {r.decode_s_per_video_s:.1f} | "
            f"{r.total_s_per_video_s:.0f} | {rss} |"
        )
    print(
        "\n| frame size | watermark s per video s | encode s per video s | C2PA s per video s "
        "| total s per video s | one still stamped (baseline) s | x baseline | MP4 KiB per s "
        "| watermark read back from the MP4 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for o in output_rows:
        ratio = o.total_s_per_video_s / o.still_stamp_s if o.still_stamp_s else 0.0
        print(
            f"| {o.width}x{o.height} | {o.watermark_s_per_video_s:.2f} | "
            f"{o.encode_s_per_video_s:.2f} | {o.c2pa_s_per_video_s:.3f} | "
            f"{o.total_s_per_video_s:.2f} | {o.still_stamp_s:.2f} | {ratio:.1f} | "
            f"{o.mp4_kib_per_video_s:.0f} | {o.watermark_read_back} |"
        )
    if options.json:
        options.json.write_text(json.dumps({
            "model": [asdict(r) for r in model_rows], "output": [asdict(o) for o in output_rows],
        }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
