"""Tiny random-weight Stable Diffusion pipelines saved to disk, for fast tests of the real code
path.

The shapes follow diffusers' own dummy components: a two-block UNet, a two-block VAE (so the latent
is half the image size) and 32-wide CLIP text encoders with a byte-level tokenizer written here, so
nothing is fetched from the Hub. Building and saving both pipelines takes about a second on a CPU.

    sd = build_tiny_sd(tmp / "sd")
    sdxl = build_tiny_sdxl(tmp / "sdxl")
    models = write_models_toml(tmp / "models.toml", sd, sdxl)   # LIMNER_MODELS_FILE
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "TINY_IMAGE_SIZE",
    "TINY_STEPS",
    "build_tiny_sd",
    "build_tiny_sdxl",
    "build_tiny_tokenizer",
    "built_once",
    "write_models_toml",
]

#: width and height every tiny preset uses (a multiple of 8; the latent is 32x32)
TINY_IMAGE_SIZE = 64
#: denoising steps every tiny preset uses
TINY_STEPS = 2

_BOS, _EOS = "<|startoftext|>", "<|endoftext|>"

BuildFn = Callable[..., Path]


@functools.cache
def _cache_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="limner-tiny-pipelines-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def built_once(build: BuildFn) -> BuildFn:
    """Build each (builder, seed) once per test process and copy it to every `path` asked for:
    the same seed gives the same weights, and a copy costs milliseconds where a build costs
    seconds. Each caller still gets a folder of its own to change."""

    @functools.wraps(build)
    def copy_of_build(path: Path, *, seed: int = 0) -> Path:
        built = _cache_dir() / f"{build.__name__}-{seed}"
        if not built.exists():
            partial = built.with_name(built.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            build(partial, seed=seed)
            partial.rename(built)
        shutil.copytree(built, path, dirs_exist_ok=True)
        return path

    return copy_of_build


def _bytes_to_unicode() -> list[str]:
    # CLIP's byte-level alphabet: every byte maps to one printable character.
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def build_tiny_tokenizer(path: Path) -> object:
    """A CLIP tokenizer over single bytes (no merges): 514 tokens, model_max_length 77."""
    from transformers import CLIPTokenizer

    path.mkdir(parents=True, exist_ok=True)
    alphabet = _bytes_to_unicode()
    vocab: dict[str, int] = {}
    for char in alphabet:
        vocab[char] = len(vocab)
    for char in alphabet:
        vocab[char + "</w>"] = len(vocab)
    vocab[_BOS] = len(vocab)
    vocab[_EOS] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (path / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    # from_pretrained reads vocab.json + merges.txt in both transformers 4 and 5
    return CLIPTokenizer.from_pretrained(
        path,
        model_max_length=77,
        bos_token=_BOS,
        eos_token=_EOS,
        pad_token=_EOS,
        unk_token=_EOS,
    )


def _text_config(tokenizer: object, *, projection_dim: int | None = None) -> object:
    from transformers import CLIPTextConfig

    vocab_size = len(tokenizer)  # type: ignore[arg-type]
    extra = {"projection_dim": projection_dim} if projection_dim else {}
    return CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
        eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=vocab_size,
        max_position_embeddings=77,
        hidden_act="gelu",
        **extra,
    )


def _tiny_vae() -> object:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=2,
        sample_size=TINY_IMAGE_SIZE,
    )


def _scheduler() -> object:
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="leading",
        steps_offset=1,
    )


@built_once
def build_tiny_sd(path: Path, *, seed: int = 0) -> Path:
    """Save a tiny `StableDiffusionPipeline` (random weights) to `path`; return `path`."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=TINY_IMAGE_SIZE // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    tokenizer = build_tiny_tokenizer(path / "_tokenizer_src")
    text_encoder = CLIPTextModel(_text_config(tokenizer))
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=_tiny_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


@built_once
def build_tiny_sdxl(path: Path, *, seed: int = 0) -> Path:
    """Save a tiny `StableDiffusionXLPipeline` (two text encoders, random weights) to `path`."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=TINY_IMAGE_SIZE // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        # 6 time ids * addition_time_embed_dim + the pooled projection of text_encoder_2
        projection_class_embeddings_input_dim=6 * 8 + 32,
        # hidden states of both encoders are concatenated: 32 + 32
        cross_attention_dim=64,
        norm_num_groups=2,
    )
    tokenizer = build_tiny_tokenizer(path / "_tokenizer_src")
    text_encoder = CLIPTextModel(_text_config(tokenizer))
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(tokenizer, projection_dim=32))
    pipe = StableDiffusionXLPipeline(
        unet=unet,
        vae=_tiny_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        scheduler=_scheduler(),
        force_zeros_for_empty_prompt=True,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


@built_once
def build_tiny_taesd(path: Path, *, seed: int = 0) -> Path:
    """Save a tiny random-weight `AutoencoderTiny` (the TAESD family's class) to `path`."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(seed)
    AutoencoderTiny(
        encoder_block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        num_encoder_blocks=(1, 1),
        num_decoder_blocks=(1, 1),
        latent_channels=4,
        upsampling_scaling_factor=2,
    ).save_pretrained(path, safe_serialization=True)
    return path


def write_models_toml(
    path: Path,
    sd_dir: Path,
    sdxl_dir: Path,
    *,
    steps: int = TINY_STEPS,
    size: int = TINY_IMAGE_SIZE,
) -> Path:
    """Write a models file: every `fast` preset uses the tiny SD folder, every `hires` the SDXL one.

    The adult style gets placeholder trigger words per gender so prompt building is exercised.
    """

    def preset(style: str, quality: str, folder: Path, pipeline_class: str) -> str:
        return (
            f"[{style}.{quality}]\n"
            f"pipeline = {json.dumps(str(folder))}\n"
            f'pipeline_class = "{pipeline_class}"\n'
            f"steps = {steps}\n"
            f"guidance = 2.0\n"
            f"width = {size}\n"
            f"height = {size}\n"
        )

    parts = ["# Tiny random-weight models for tests (tests/support/tiny_pipelines.py)\n"]
    for style in ("realistic", "anime", "nude"):
        parts.append(preset(style, "fast", sd_dir, "StableDiffusionPipeline"))
        parts.append(preset(style, "hires", sdxl_dir, "auto"))
        if style == "nude":
            for quality in ("fast", "hires"):
                parts.append(
                    f"[nude.{quality}.trigger_words]\n"
                    'female = "<adult-style-trigger-f>"\n'
                    'male = "<adult-style-trigger-m>"\n'
                    'trans = "<adult-style-trigger-t>"\n'
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


#: the weights file `build_tiny_ip_adapter` writes
TINY_IP_ADAPTER_WEIGHTS = "ip-adapter.safetensors"


def build_tiny_ip_adapter(path: Path, sd_dir: Path, *, seed: int = 0) -> Path:
    """Save a random-weight IP-Adapter for the tiny SD pipeline at `sd_dir` to `path`: the
    adapter weights (`image_proj.*` and `ip_adapter.*`, the layout diffusers' `load_ip_adapter`
    reads) and a tiny `CLIPVisionModelWithProjection` in `path/image_encoder`. The attention
    keys follow diffusers' own numbering (1, 3, 5, ... over the cross-attention processors)."""
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.embeddings import ImageProjection
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel.from_pretrained(sd_dir, subfolder="unet")
    config = unet.config
    cross = int(config.cross_attention_dim)
    embed_dim = 32
    tensors: dict[str, torch.Tensor] = {}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = config.block_out_channels[int(name[len("down_blocks.")])]
        tensors[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross) * 0.5
        tensors[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross) * 0.5
        key_id += 2
    projection = ImageProjection(
        image_embed_dim=embed_dim, cross_attention_dim=cross, num_image_text_embeds=4
    ).state_dict()
    tensors["image_proj.proj.weight"] = projection["image_embeds.weight"]
    tensors["image_proj.proj.bias"] = projection["image_embeds.bias"]
    tensors["image_proj.norm.weight"] = projection["norm.weight"]
    tensors["image_proj.norm.bias"] = projection["norm.bias"]
    path.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path / TINY_IP_ADAPTER_WEIGHTS))
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=embed_dim,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            image_size=32,
            patch_size=4,
        )
    )
    encoder.save_pretrained(path / "image_encoder", safe_serialization=True)
    return path


def add_ip_adapter(
    models_toml: Path, adapter_dir: Path, *, styles: tuple[str, ...], scale: float = 1.0
) -> Path:
    """Give the `fast` preset of each style in `models_toml` the tiny IP-Adapter."""
    text = models_toml.read_text("utf-8")
    for style in styles:
        text += (
            f"\n[{style}.fast.ip_adapter]\n"
            f"path = {json.dumps(str(adapter_dir))}\n"
            f'weight_name = "{TINY_IP_ADAPTER_WEIGHTS}"\n'
            f"scale = {scale}\n"
        )
    models_toml.write_text(text, "utf-8")
    return models_toml
