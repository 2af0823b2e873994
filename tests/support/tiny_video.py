"""A tiny random-weight LTX-Video pipeline saved to disk, for fast tests of the real video path.

The shapes are diffusers' own dummy LTX components (tests/pipelines/ltx/test_ltx.py): a one-layer
`LTXTransformer3DModel`, an 8-channel `AutoencoderKLLTX` (latents at 1/4 of the frame size and of
the frame count), with a 32-wide T5 encoder built from a config and the byte-level tokenizer of
`tiny_pipelines`, so nothing is fetched from the Hub. The same folder serves text-to-video
(`LTXPipeline`) and image-to-video (`LTXImageToVideoPipeline.from_pipe`).

    ltx = build_tiny_ltx(tmp / "ltx")
    models = write_video_models_toml(tmp / "models.toml", sd, sdxl, ltx)   # LIMNER_MODELS_FILE
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.tiny_pipelines import build_tiny_tokenizer, built_once, write_models_toml

__all__ = ["TINY_VIDEO_FPS", "TINY_VIDEO_SIZE", "build_tiny_ltx", "write_video_models_toml"]

#: frame width and height of the tiny video presets (a multiple of 32)
TINY_VIDEO_SIZE = 32
#: the tiny presets' frame rate: 1 s is 8 frames (LTX makes 8k+1: 9)
TINY_VIDEO_FPS = 8


@built_once
def build_tiny_ltx(path: Path, *, seed: int = 0) -> Path:
    """Save a tiny `LTXPipeline` (random weights) to `path`; return `path`."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        # two 2x stages each way: frames and sides are a quarter in the latents
        spatial_compression_ratio=4,
        temporal_compression_ratio=4,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    tokenizer = build_tiny_tokenizer(path / "_tokenizer_src")
    torch.manual_seed(seed)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer),  # type: ignore[arg-type]
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=1,
            num_heads=4,
            relative_attention_num_buckets=8,
        )
    )
    pipe = LTXPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def write_video_models_toml(
    path: Path, sd_dir: Path, sdxl_dir: Path, ltx_dir: Path, *, steps: int = 2
) -> Path:
    """The image presets of `write_models_toml`, plus a `[video.<style>.<quality>]` preset on
    the tiny LTX folder for the realistic and anime styles (the adult style's is disabled, as
    in the packaged file until the operator supplies a model)."""
    write_models_toml(path, sd_dir, sdxl_dir)
    parts = [path.read_text(encoding="utf-8")]
    for style in ("realistic", "anime", "nude"):
        for quality in ("fast", "hires"):
            parts.append(
                f"[video.{style}.{quality}]\n"
                f"pipeline = {json.dumps(str(ltx_dir))}\n"
                f"steps = {steps}\n"
                "guidance = 3.0\n"
                f"width = {TINY_VIDEO_SIZE}\n"
                f"height = {TINY_VIDEO_SIZE}\n"
                f"fps = {TINY_VIDEO_FPS}\n"
                "max_sequence_length = 16\n" + ("enabled = false\n" if style == "nude" else "")
            )
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
