"""The pure parts of `LIMNER_BACKEND=auto`: which files a pipeline download takes (the size
estimate), sizes for people, and the settings that name it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from limner.backends.auto import estimate_files, human_size, placeholder_notice
from limner.config import BackendName, Settings
from limner.firstrun import ready_banner

#: the layout of an SD-Turbo-like repo: a root single-file checkpoint, fp16 variants beside the
#: full weights, a legacy .bin, a folder that is not a component
LISTING = {
    "model_index.json": 600,
    "README.md": 4_000,
    "sd_turbo.safetensors": 5_000_000_000,
    "unet/config.json": 1_500,
    "unet/diffusion_pytorch_model.safetensors": 3_400_000_000,
    "unet/diffusion_pytorch_model.fp16.safetensors": 1_700_000_000,
    "unet/diffusion_pytorch_model.bin": 3_400_000_000,
    "text_encoder/config.json": 600,
    "text_encoder/model.safetensors": 1_300_000_000,
    "text_encoder/model.fp16.safetensors": 680_000_000,
    "tokenizer/vocab.json": 1_000_000,
    "tokenizer/merges.txt": 500_000,
    "vae/config.json": 700,
    "vae/diffusion_pytorch_model.safetensors": 330_000_000,
    "scheduler/scheduler_config.json": 500,
    "samples/preview.png": 900_000,
}
COMPONENTS = ["unet", "text_encoder", "tokenizer", "vae", "scheduler"]


def test_the_estimate_takes_the_variant_where_a_folder_has_it_else_the_plain_weights() -> None:
    chosen = estimate_files(LISTING, components=COMPONENTS, variant="fp16")
    assert sorted(chosen) == [
        "model_index.json",
        "scheduler/scheduler_config.json",
        "text_encoder/config.json",
        "text_encoder/model.fp16.safetensors",
        "tokenizer/merges.txt",
        "tokenizer/vocab.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.safetensors",  # the VAE has no fp16 file: the plain one
    ]
    assert sum(chosen.values()) == 2_711_503_900


def test_without_a_variant_the_estimate_takes_the_plain_weights_only() -> None:
    chosen = estimate_files(LISTING, components=COMPONENTS, variant=None)
    weights = sorted(name for name in chosen if name.endswith(".safetensors"))
    assert weights == [
        "text_encoder/model.safetensors",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/diffusion_pytorch_model.safetensors",
    ]


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_500, "1.5 kB"),
        (626_911, "626.9 kB"),
        (2_711_503_900, "2.7 GB"),
        (7_000_000_000_000, "7000.0 GB"),
    ],
)
def test_sizes_are_shown_in_decimal_units(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_auto_is_the_default_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIMNER_BACKEND")
    assert Settings().backend is BackendName.auto


def test_auto_is_not_an_extra_backend() -> None:
    with pytest.raises(ValidationError, match="auto is for `backend`"):
        Settings(extra_backends=["auto"])  # type: ignore[list-item]


def test_the_ready_lines_of_a_placeholder_server_start_with_its_banner() -> None:
    notice = placeholder_notice("the model hub cannot be reached")
    lines = ready_banner("http://127.0.0.1:8000", "lmn_x", notice=notice).splitlines()
    assert lines[1] == f"!! {notice}"
    assert "not a model's output" in notice and "the model hub cannot be reached" in notice
    assert lines[-1] == "export LIMNER_API_KEY=lmn_x"


def test_a_hub_failure_is_one_line_with_its_innermost_cause() -> None:
    from limner.backends.diffusers.hub import failure_reason

    def raised() -> BaseException:
        try:
            try:
                raise OSError("[Errno -2] Name or service not known")
            except OSError as cause:
                raise RuntimeError("[Errno -2] Name or service not known") from cause
        except RuntimeError as error:
            return error
        raise AssertionError("unreachable")

    assert failure_reason(raised()) == "OSError: [Errno -2] Name or service not known"


def test_fit_takes_hires_only_on_a_cuda_gpu_of_12_gib_with_disk_to_spare() -> None:
    from limner.backends.auto import disk_fits_hires, gpu_fits_hires

    gib = 1024**3
    assert not gpu_fits_hires(None)  # a CPU or Apple MPS
    assert not gpu_fits_hires(8 * gib)
    assert gpu_fits_hires(12 * gib) and gpu_fits_hires(80 * gib)
    assert disk_fits_hires(free=20 * gib, fast=3 * gib, hires=7 * gib)
    assert not disk_fits_hires(free=19 * gib, fast=3 * gib, hires=7 * gib)
