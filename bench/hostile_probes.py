"""The probes of the hostile run (`bench/bench_hostile.py`): issue 26's findings as requests,
each a function of an `httpx.Client`, and the pictures they carry."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable

import httpx
import numpy as np
from PIL import Image

PROMPT = "a lighthouse at dusk"
Probe = Callable[[httpx.Client], httpx.Response]


# -- pictures ----------------------------------------------------------------------------------


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def gradient(size: tuple[int, int]) -> Image.Image:
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack(
        [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width))] * 2, axis=-1
    )[..., :3]
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def other_formats() -> dict[str, bytes]:
    small = Image.new("RGB", (64, 64), (40, 90, 160))
    found = {fmt: encoded(small, fmt) for fmt in ("TIFF", "BMP", "GIF", "ICO", "PCX", "TGA")}
    found["EPS"] = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n"
    found["garbage"] = os.urandom(4096)
    found["empty"] = b""
    return found


# -- the probes --------------------------------------------------------------------------------


def probes(key: str) -> dict[str, Probe]:
    auth = {"Authorization": f"Bearer {key}"}
    shapes = {
        "16777216x1": encoded(Image.new("L", (16777216, 1), 0)),
        "1048576x1": encoded(Image.new("L", (1048576, 1), 0)),
        "8192x64": encoded(Image.new("L", (8192, 64), 0)),
        "16x16": encoded(Image.new("RGB", (16, 16), (9, 9, 9))),
        "2x600": encoded(Image.new("RGB", (2, 600), (9, 9, 9))),
    }
    good = encoded(gradient((64, 48)))
    mask = encoded(Image.new("RGBA", (64, 48), (0, 0, 0, 0)))
    bomb = encoded(Image.new("L", (9000, 9000), 0))  # 9000 px: past the side limit
    found: dict[str, Probe] = {}

    def generate(body: dict[str, object]) -> Probe:
        return lambda c: c.post("/api/v1/generate", json={"prompt": PROMPT, **body}, headers=auth)

    for name, data in shapes.items():
        url = data_url(data)
        found[f"upload {name}"] = lambda c, d=data: c.post(
            "/api/v1/uploads", files={"file": ("p.png", d, "image/png")}, headers=auth
        )
        found[f"i2i data: {name}"] = generate({"type": "i2i", "image": url})
        found[f"inpaint mask {name}"] = generate(
            {"type": "inpaint", "image": data_url(good), "mask": url}
        )
        found[f"outpaint {name}"] = generate(
            {"type": "outpaint", "image": url, "expand": {"left": 64}}
        )
        found[f"character ref {name}"] = lambda c, u=url: c.post(
            "/api/v1/characters", json={"name": "Mara", "references": [u]}, headers=auth
        )
        found[f"openai edit image {name}"] = lambda c, d=data: c.post(
            "/v1/images/edits",
            data={"prompt": PROMPT},
            files={"image": ("i.png", d, "image/png"), "mask": ("m.png", mask, "image/png")},
            headers=auth,
        )
        found[f"openai edit mask {name}"] = lambda c, d=data: c.post(
            "/v1/images/edits",
            data={"prompt": PROMPT},
            files={"image": ("i.png", good, "image/png"), "mask": ("m.png", d, "image/png")},
            headers=auth,
        )
        found[f"openai variation {name}"] = lambda c, d=data: c.post(
            "/v1/images/variations", files={"image": ("i.png", d, "image/png")}, headers=auth
        )
        found[f"verify {name}"] = lambda c, d=data: c.post(
            "/api/v1/verify", content=d, headers={**auth, "Content-Type": "image/png"}
        )
    for fmt, data in other_formats().items():
        found[f"verify {fmt}"] = lambda c, d=data: c.post(
            "/api/v1/verify",
            content=d,
            headers={**auth, "Content-Type": "application/octet-stream"},
        )
    found["verify 9000x9000 zeros"] = lambda c: c.post(
        "/api/v1/verify", content=bomb, headers={**auth, "Content-Type": "image/png"}
    )
    big_json = b'{"prompt": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    found["generate 17 MiB body"] = lambda c: c.post(
        "/api/v1/generate", content=big_json, headers={**auth, "Content-Type": "application/json"}
    )
    inline = b'{"prompt": "x", "type": "i2i", "image": "data:image/png;base64,'
    inline += base64.b64encode(os.urandom(11 * 1024 * 1024)) + b'"}'
    found["i2i 15 MiB data URL"] = lambda c: c.post(
        "/api/v1/generate", content=inline, headers={**auth, "Content-Type": "application/json"}
    )
    found["verify 21 MiB body"] = lambda c: c.post(
        "/api/v1/verify",
        content=b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * 1024 * 1024),
        headers={**auth, "Content-Type": "image/png"},
    )
    digits = "9" * 4301
    found["openai edit n=4301 digits"] = lambda c: c.post(
        "/v1/images/edits",
        data={"prompt": PROMPT, "n": digits},
        files={"image": ("i.png", good, "image/png")},
        headers=auth,
    )
    found["openai variation n=4301 digits"] = lambda c: c.post(
        "/v1/images/variations",
        data={"n": digits},
        files={"image": ("i.png", good, "image/png")},
        headers=auth,
    )
    return found


def with_image_url(client: httpx.Client, key: str) -> dict[str, Probe]:
    """Probes that need a finished image: a Range header of 4,301 digits on its URL."""
    auth = {"Authorization": f"Bearer {key}"}
    made = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=auth).json()
    url = made["image_url"]
    return {
        "image Range 4301 digits": lambda c: c.get(url, headers={"Range": "bytes=0-" + "9" * 4301})
    }
