"""The shape limits of input pictures, at every door a picture comes in by, and what
`/api/v1/verify` opens (issue 26, items 1, 2 and 5).

Each side of a picture is 32 to 4096 pixels, the long side at most 128 times the short one, and
the pixels at most `LIMNER_MAX_UPLOAD_PIXELS`, read from the file's header before any pixel is
decoded: a 3 KB PNG of 1048576x1 once made the server resize an output to that shape.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Key, KeyFactory

PROMPT = "a lighthouse at dusk"
#: (width, height) -> the words the refusal must carry
BAD_SHAPES = {
    (1048576, 1): "at least 32 pixels",  # the 3 KB picture
    (8192, 64): "at most 4096 pixels",
    (16, 16): "at least 32 pixels",  # item 5: answered 503 (the watermark did not read back)
    (2, 600): "at least 32 pixels",  # item 5: 2 px thin
}


def encoded(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    colour = {"L": 90, "LA": (90, 0), "RGBA": (40, 90, 160, 0)}.get(mode, (40, 90, 160))
    Image.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def refused_naming(response: Any, field: str, size: tuple[int, int], words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "validation_error" and body["field"] == field, body
    assert f"{size[0]}x{size[1]}" in body["message"] and words in body["message"], body


def credits(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(plan="pro", credits=50)


@pytest.mark.parametrize("size", list(BAD_SHAPES))
def test_an_upload_of_a_bad_shape_is_refused(
    client: TestClient, key: Key, size: tuple[int, int]
) -> None:
    response = client.post(
        "/api/v1/uploads",
        files={"file": ("p.png", encoded(size, mode="L"), "image/png")},
        headers=key.headers,
    )
    refused_naming(response, "file", size, BAD_SHAPES[size])


@pytest.mark.parametrize("size", list(BAD_SHAPES))
def test_image_input_doors_refuse_a_bad_shape_before_any_credit(
    client: TestClient, funded: Key, size: tuple[int, int]
) -> None:
    bad, good = data_url(encoded(size, mode="L")), data_url(encoded((64, 48)))
    words = BAD_SHAPES[size]
    before = credits(client, funded)
    for body, field in (
        ({"type": "i2i", "image": bad}, "image"),
        ({"type": "outpaint", "image": bad, "expand": {"left": 64}}, "image"),
        ({"type": "inpaint", "image": good, "mask": bad}, "mask"),
    ):
        response = client.post(
            "/api/v1/generate", json={"prompt": PROMPT, **body}, headers=funded.headers
        )
        refused_naming(response, field, size, words)
    response = client.post(
        "/api/v1/characters", json={"name": "Mara", "references": [bad]}, headers=funded.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"].startswith("references")
    assert words in response.json()["message"]
    assert credits(client, funded) == before


@pytest.mark.parametrize("size", [(1048576, 1), (16, 16), (8192, 64)])
def test_openai_edits_and_variations_refuse_a_bad_shape(
    client: TestClient, funded: Key, size: tuple[int, int]
) -> None:
    bad, good = encoded(size, mode="L"), encoded((64, 48))
    words = BAD_SHAPES[size]
    mask_ok = encoded((64, 48), mode="RGBA")
    for path, files, field in (
        ("/v1/images/edits", {"image": bad, "mask": mask_ok}, "image"),
        ("/v1/images/edits", {"image": good, "mask": encoded(size, mode="LA")}, "mask"),
        ("/v1/images/variations", {"image": bad}, "image"),
    ):
        response = client.post(
            path,
            data={"prompt": PROMPT} if "edits" in path else {},
            files={name: (f"{name}.png", data, "image/png") for name, data in files.items()},
            headers=funded.headers,
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["param"] == field and words in error["message"], error


def test_the_smallest_side_makes_a_watermarked_image(client: TestClient, key: Key) -> None:
    """Item 5: at the limit the answer is an image whose watermark reads back, not a 503."""
    for size in ((32, 32), (32, 1024)):
        made = client.post(
            "/api/v1/generate",
            json={"prompt": PROMPT, "type": "i2i", "image": data_url(encoded(size))},
            headers=key.headers,
        )
        assert made.status_code == 200, made.text
        image = client.get(made.json()["image_url"]).content
        assert Image.open(io.BytesIO(image)).size == size
        verified = client.post(
            "/api/v1/verify", content=image, headers={**key.headers, "Content-Type": "image/png"}
        )
        assert verified.json()["generation_id"] == made.json()["id"]


def test_an_outpaint_canvas_keeps_the_side_limit(client: TestClient, key: Key) -> None:
    """Every output is a valid input again (`gen_...`), so the canvas obeys the same sides."""
    wide = data_url(encoded((4096, 64), mode="L"))
    response = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "outpaint", "image": wide, "expand": {"left": 64}},
        headers=key.headers,
    )
    refused_naming(response, "expand", (4160, 64), "at most 4096 pixels")


def test_the_aspect_ratio_has_its_own_limit(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(max_upload_aspect=4))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {issued.key}"}
        answers = [
            client.post(
                "/api/v1/uploads",
                files={"file": ("p.png", encoded(size), "image/png")},
                headers=headers,
            )
            for size in ((400, 64), (256, 64))
        ]
    refused_naming(answers[0], "file", (400, 64), "at most 4 times its short side")
    assert answers[1].status_code == 201, answers[1].text


def test_the_decode_gate_takes_its_setting(settings_factory) -> None:
    from limner.api import create_app

    app = create_app(settings_factory(max_concurrent_decodes=3))
    assert app.state.limner.media_limits.gate.slots == 3


# -- /api/v1/verify ----------------------------------------------------------------------------


def other_format(fmt: str) -> bytes:
    if fmt == "EPS":  # Pillow would hand it to Ghostscript where it is installed
        return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n"
    return encoded((64, 64), fmt)


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "GIF", "ICO", "PCX", "TGA", "EPS"])
def test_verify_opens_no_other_format(client: TestClient, key: Key, fmt: str) -> None:
    response = client.post(
        "/api/v1/verify",
        content=other_format(fmt),
        headers={**key.headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["field"] == "image" and "PNG, JPEG, WebP or MP4" in body["message"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_verify_reads_the_three_picture_formats(client: TestClient, key: Key, fmt: str) -> None:
    response = client.post(
        "/api/v1/verify",
        content=encoded((64, 64), fmt),
        headers={**key.headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["format"] == fmt and response.json()["watermark_found"] is False


def test_verify_reads_an_mp4_within_the_limits(client: TestClient, key: Key) -> None:
    import numpy as np

    from limner.media.video import available, encode_mp4

    if not available():
        pytest.skip("the video extra (av) is not installed")
    frames = [np.full((64, 64, 3), 60 + 10 * i, dtype=np.uint8) for i in range(4)]
    response = client.post(
        "/api/v1/verify",
        content=encode_mp4(frames, fps=4),
        headers={**key.headers, "Content-Type": "video/mp4"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["watermark_found"] is False
    wide = [np.full((64, 4160, 3), 60, dtype=np.uint8)] * 2  # a side past 4096
    refused = client.post(
        "/api/v1/verify",
        content=encode_mp4(wide, fps=2),
        headers={**key.headers, "Content-Type": "video/mp4"},
    )
    refused_naming(refused, "image", (4160, 64), "at most 4096 pixels")


@pytest.mark.parametrize("size", [(1048576, 1), (8192, 64), (16, 16)])
def test_verify_holds_pictures_to_the_upload_limits(
    client: TestClient, key: Key, size: tuple[int, int]
) -> None:
    response = client.post(
        "/api/v1/verify",
        content=encoded(size, mode="L"),
        headers={**key.headers, "Content-Type": "image/png"},
    )
    refused_naming(response, "image", size, BAD_SHAPES[size])


def test_verify_holds_pictures_to_the_pixel_limit(settings_factory) -> None:
    from limner import keys
    from limner.api import create_app

    app = create_app(settings_factory(max_upload_pixels=512 * 512))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/verify",
            content=encoded((1024, 1024), mode="L"),
            headers={"Authorization": f"Bearer {issued.key}", "Content-Type": "image/png"},
        )
    assert response.status_code == 400 and response.json()["field"] == "image"
    assert str(512 * 512) in response.json()["message"]
