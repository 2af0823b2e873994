"""Test images and the transformations the robustness tests apply."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

GEN_ID = "gen_abcdefghijklmnop"


def natural_image(size: int, seed: int, *, height: int | None = None) -> Image.Image:
    """A colour image with the 1/f spectrum of photographs (not noise, not flat)."""
    rng = np.random.default_rng(seed)
    h, w = height or size, size
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    out = np.empty((h, w, 3))
    for c in range(3):
        spec = (rng.normal(size=(h, w)) + 1j * rng.normal(size=(h, w))) / f**1.1
        x = np.real(np.fft.ifft2(spec))
        out[..., c] = 128 + 45 * (x - x.mean()) / x.std()
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def reencode(data: bytes, fmt: str, **params: object) -> bytes:
    """Decode and re-encode pixels only: every metadata block is dropped."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, fmt, **params)
    return out.getvalue()


def resized(data: bytes, scale: float) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    size = (round(image.width * scale), round(image.height * scale))
    out = io.BytesIO()
    image.resize(size, Image.Resampling.BICUBIC).save(out, "PNG")
    return out.getvalue()
