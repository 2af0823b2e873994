"""`i2i`, `inpaint` and `outpaint` through HTTP on the placeholder backend: sizes, the pixels
outside the mask (and the original rectangle) kept but for the watermark, credits, the queue,
the webhook, idempotency and every refusal of the issue's "Done when" list."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Key, KeyFactory
from tests.support.events import wait_finished
from tests.support.receiver import receiver

PROMPT = "a lighthouse at dusk"
SIZE = (160, 96)


def picture(size: tuple[int, int] = SIZE) -> Image.Image:
    """A smooth, varied picture (gradients), so a changed pixel shows."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack(
        [
            np.broadcast_to(x, (height, width)),
            np.broadcast_to(y, (height, width)),
            np.broadcast_to((x + y) / 2, (height, width)),
        ],
        axis=-1,
    )
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(image: Image.Image) -> str:
    return "data:image/png;base64," + base64.b64encode(png(image)).decode()


def centre_mask(size: tuple[int, int] = (48, 32)) -> Image.Image:
    """Grey 200 (repainted) in the middle quarter, 60 (kept) around: any grey level works."""
    width, height = size
    mask = Image.new("L", size, 60)
    mask.paste(200, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    return mask


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def upload(client: TestClient, key: Key, data: bytes, name: str = "p.png") -> str:
    response = client.post(
        "/api/v1/uploads", files={"file": (name, data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def fetched(client: TestClient, url: str) -> np.ndarray:
    response = client.get(url)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def available(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(credits=30)


def test_inpaint_keeps_every_pixel_outside_the_mask(client: TestClient, funded: Key) -> None:
    source = picture()
    image_id = upload(client, funded, png(source))
    mask_id = upload(client, funded, png(centre_mask()), "m.png")  # another size: resized
    before = available(client, funded)
    body = {
        "prompt": PROMPT,
        "type": "inpaint",
        "image": image_id,
        "mask": mask_id,
        "n": 2,
        "seed": 11,
    }
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["type"] == "inpaint" and result["credits_used"] == 2
    assert available(client, funded) == before - 2
    repaint = np.asarray(centre_mask().resize(SIZE, Image.Resampling.NEAREST)) >= 128
    original = np.asarray(source)
    outputs = [fetched(client, image["url"]) for image in result["images"]]
    for out in outputs:
        assert out.shape == original.shape  # output size = input size
        assert psnr(out[~repaint], original[~repaint]) >= 40
        assert psnr(out[repaint], original[repaint]) < 30  # the masked region was repainted
    assert not np.array_equal(outputs[0], outputs[1])  # each output its own seed


def test_an_alpha_mask_repaints_its_transparent_pixels(client: TestClient, funded: Key) -> None:
    source = picture()
    mask = Image.new("RGBA", SIZE, (0, 0, 0, 255))
    mask.paste((255, 255, 255, 0), (0, 0, SIZE[0] // 2, SIZE[1]))  # left half transparent
    body = {"prompt": PROMPT, "type": "inpaint", "image": data_url(source), "mask": data_url(mask)}
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 200, response.text
    out = fetched(client, response.json()["image_url"])
    original = np.asarray(source)
    assert psnr(out[:, SIZE[0] // 2 :], original[:, SIZE[0] // 2 :]) >= 40
    assert psnr(out[:, : SIZE[0] // 2], original[:, : SIZE[0] // 2]) < 30


def test_outpaint_keeps_the_original_rectangle_at_its_offset(
    client: TestClient, funded: Key
) -> None:
    source = picture()
    expand = {"left": 24, "right": 8, "top": 16, "bottom": 0}
    body = {"prompt": PROMPT, "type": "outpaint", "image": data_url(source), "expand": expand}
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 200, response.text
    assert response.json()["credits_used"] == 1
    out = fetched(client, response.json()["image_url"])
    assert out.shape == (SIZE[1] + 16, SIZE[0] + 32, 3)
    inner = out[16 : 16 + SIZE[1], 24 : 24 + SIZE[0]]
    assert psnr(inner, np.asarray(source)) >= 40


def test_i2i_answers_at_the_input_size(client: TestClient, funded: Key) -> None:
    body = {"prompt": PROMPT, "type": "i2i", "image": data_url(picture()), "strength": 0.4}
    response = client.post("/api/v1/generate", json=body, headers=funded.headers)
    assert response.status_code == 200, response.text
    assert fetched(client, response.json()["image_url"]).shape == (SIZE[1], SIZE[0], 3)


def test_the_same_seed_gives_the_same_inpaint(client: TestClient, funded: Key) -> None:
    body = {
        "prompt": PROMPT,
        "type": "inpaint",
        "image": data_url(picture()),
        "mask": data_url(centre_mask()),
        "seed": 5,
    }
    first = client.post("/api/v1/generate", json=body, headers=funded.headers).json()
    second = client.post("/api/v1/generate", json=body, headers=funded.headers).json()
    assert first["seed"] == second["seed"] == 5
    assert (
        np.array_equal(
            fetched(client, first["image_url"])[:, :, :], fetched(client, second["image_url"])
        )
        or psnr(fetched(client, first["image_url"]), fetched(client, second["image_url"])) > 40
    )


def test_an_async_inpaint_with_a_webhook(settings_factory) -> None:
    from limner.api import create_app

    # the receiver listens on loopback: the operator's allow-private setting lets it be a target
    app = create_app(settings_factory(webhook_allow_private=True))
    body = {
        "prompt": PROMPT,
        "type": "inpaint",
        "image": data_url(picture()),
        "mask": data_url(centre_mask()),
    }
    with TestClient(app) as client, receiver() as hook:
        funded = new_key(app, credits=5)
        queued = client.post(
            "/api/v1/generate", json={**body, "webhook_url": hook.url}, headers=funded.headers
        )
        assert queued.status_code == 202, queued.text
        finished = wait_finished(client, queued.json()["id"], funded.headers)
        assert finished["status"] == "completed" and finished["type"] == "inpaint"
        assert hook.arrived.wait(120)
    payload = json.loads(hook.received[0].body)
    assert payload["type"] == "generation.completed"
    assert payload["data"]["id"] == queued.json()["id"]
    assert payload["data"]["credits_used"] == 1


def test_idempotency_replays_an_outpaint(client: TestClient, funded: Key) -> None:
    body = {
        "prompt": PROMPT,
        "type": "outpaint",
        "image": data_url(picture()),
        "expand": {"right": 32},
    }
    headers = {**funded.headers, "Idempotency-Key": "outpaint-once"}
    first = client.post("/api/v1/generate", json=body, headers=headers)
    before = available(client, funded)
    again = client.post("/api/v1/generate", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert available(client, funded) == before


def new_key(app: Any, credits: int) -> Key:
    from limner import keys, ledger

    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        if credits:
            ledger.grant(session=session, account_id=issued.account_id, amount=credits)
    return Key(issued.key, issued.prefix, issued.account_id)


def refused(client: TestClient, key: Key, body: dict[str, Any], field: str, status: int = 400):
    before = available(client, key)
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"] == "validation_error"
        assert response.json()["field"] == field
    assert available(client, key) == before
    return response


def test_refusals_name_the_field_and_cost_nothing(
    client: TestClient, funded: Key, make_key: KeyFactory
) -> None:
    image = data_url(picture())
    mask = data_url(centre_mask())
    other = make_key(credits=5)
    foreign = upload(client, other, png(picture()))
    inpaint = {"prompt": PROMPT, "type": "inpaint", "image": image, "mask": mask}
    outpaint = {"prompt": PROMPT, "type": "outpaint", "image": image}
    refused(client, funded, {**inpaint, "image": foreign}, "image")  # another key's upload
    refused(client, funded, {**inpaint, "mask": "https://127.0.0.1/m.png"}, "mask")  # loopback
    not_an_image = "data:image/png;base64," + base64.b64encode(b"not a picture").decode()
    refused(client, funded, {**inpaint, "mask": not_an_image}, "mask")
    black = data_url(Image.new("L", (32, 32), 0))
    refused(client, funded, {**inpaint, "mask": black}, "mask")  # repaints nothing
    refused(client, funded, {k: v for k, v in inpaint.items() if k != "mask"}, "mask")
    refused(client, funded, {**outpaint, "expand": {"left": 1025}}, "expand.left")
    refused(client, funded, {**outpaint, "expand": {"left": -1}}, "expand.left")
    refused(client, funded, {**outpaint, "expand": {}}, "expand")
    big = data_url(Image.new("RGB", (2000, 1000), (9, 9, 9)))
    past = {"bottom": 1024, "right": 300}  # 2300x2024: past the 2048x2048 canvas limit
    refused(client, funded, {**outpaint, "image": big, "expand": past}, "expand")
    refused(client, funded, {**inpaint, "type": "i2i", "strength": 0.01}, "strength")


def test_an_oversized_upload_is_413(settings_factory) -> None:
    from fastapi.testclient import TestClient as Client

    from limner.api import create_app

    app = create_app(settings_factory(max_upload_bytes=4096))
    with Client(app) as client:
        key = new_key(app, credits=0)
        noisy = Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8))
        response = client.post(
            "/api/v1/uploads",
            files={"file": ("big.png", png(noisy), "image/png")},
            headers=key.headers,
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"


def test_an_inpaint_result_records_its_inputs_and_verifies(
    client: TestClient, funded: Key, settings, tmp_path
) -> None:
    from tests.support.cli import cli_env, run_cli

    body = {
        "prompt": PROMPT,
        "type": "inpaint",
        "image": data_url(picture()),
        "mask": data_url(centre_mask()),
    }
    result = client.post("/api/v1/generate", json=body, headers=funded.headers).json()
    data = client.get(result["image_url"]).content
    verified = client.post(
        "/api/v1/verify", content=data, headers={**funded.headers, "Content-Type": "image/png"}
    ).json()
    assert verified["generation_id"] == result["id"] and verified["from_this_server"] is True
    assert verified["digital_source_type"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert verified["made_from_input"] is True
    assert verified["ingredients"] == ["parentOf", "componentOf"]
    assert verified["c2pa_valid"] is True
    # a t2i output was made from no input
    plain = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=funded.headers)
    plain_data = client.get(plain.json()["image_url"]).content
    assert (
        client.post("/api/v1/verify", content=plain_data, headers=funded.headers).json()[
            "made_from_input"
        ]
        is False
    )

    path = tmp_path / "inpainted.png"
    path.write_bytes(data)
    shown = run_cli("verify", str(path), env=cli_env(settings.data_dir))
    assert shown.returncode == 0, shown.stderr
    assert f"generation {result['id']}" in shown.stdout
    assert "Made from an input picture (C2PA ingredients: parentOf, componentOf)" in shown.stdout


def test_media_requests_have_their_own_larger_body_limit(settings_factory) -> None:
    """A data: URL past `LIMNER_MAX_BODY_BYTES` fits a type that takes pictures, within
    `LIMNER_MAX_MEDIA_BODY_BYTES`; a text-only body of that size is still 413."""
    from limner.api import create_app

    app = create_app(settings_factory(max_body_bytes=4096, max_media_body_bytes=400_000))
    noisy = Image.fromarray(np.random.default_rng(2).integers(0, 255, (96, 96, 3), np.uint8))
    image = data_url(noisy)
    assert 4096 < len(image) < 400_000
    with TestClient(app) as client:
        key = new_key(app, credits=5)
        start = available(client, key)
        body = {"prompt": PROMPT, "type": "i2i", "image": image}
        assert client.post("/api/v1/generate", json=body, headers=key.headers).status_code == 200
        padded = {"prompt": PROMPT, "seed": 1, "n": 1, "style": "realistic" + " " * 8000}
        too_big = client.post("/api/v1/generate", json=padded, headers=key.headers)
        assert too_big.status_code == 413 and too_big.json()["limit_bytes"] == 4096
        huge = {**body, "image": data_url(noisy.resize((400, 400)))}
        assert len(huge["image"]) > 400_000
        past = client.post("/api/v1/generate", json=huge, headers=key.headers)
        assert past.status_code == 413
        assert available(client, key) == start - 1  # only the one that ran


def test_the_https_form_fetches_through_the_guard(settings_factory, tmp_path) -> None:
    """With the operator's allow-private setting (and the test site's CA trusted), an https
    reference on a local server is fetched; without it, the same URL is refused."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from limner.api import create_app
    from tests.support.tls import running_https, self_signed

    (tmp_path / "tls").mkdir()
    tls = self_signed(tmp_path / "tls")
    site = Starlette(
        routes=[Route("/p.png", lambda _r: Response(png(picture()), media_type="image/png"))]
    )
    with running_https(site, tls) as port:
        url = f"https://127.0.0.1:{port}/p.png"
        body = {"prompt": PROMPT, "type": "outpaint", "image": url, "expand": {"top": 8}}
        allowed = create_app(
            settings_factory(media_fetch_allow_private=True, media_fetch_ca_file=tls.certfile)
        )
        with TestClient(allowed) as client:
            key = new_key(allowed, credits=5)
            done = client.post("/api/v1/generate", json=body, headers=key.headers)
            assert done.status_code == 200, done.text
            assert fetched(client, done.json()["image_url"]).shape == (SIZE[1] + 8, SIZE[0], 3)
        guarded = create_app(settings_factory(data_dir=tmp_path / "guarded"))
        with TestClient(guarded) as client:
            key = new_key(guarded, credits=5)
            refused(client, key, body, "image")


def test_a_queued_job_screens_a_refetched_https_picture_again(settings_factory, tmp_path) -> None:
    """An https:// picture is fetched at submit time and again by the worker: the second copy
    may differ, so it passes the admission gate again. Here the site answers a flat picture
    first and a busy one after, and the stand-in detector flags every picture that is not flat:
    the job fails on its input (recorded `input_nudity`), never reaching the model, and is free."""
    from sqlalchemy import select
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from limner.api import create_app
    from limner.db.tables import ModerationEvent
    from tests.support.screening import MODULE
    from tests.support.tls import running_https, self_signed

    served: list[int] = []

    def answer(_request: object) -> Response:
        served.append(1)
        image = Image.new("RGB", SIZE, (90, 90, 90)) if len(served) == 1 else picture()
        return Response(png(image), media_type="image/png")

    (tmp_path / "tls").mkdir()
    tls = self_signed(tmp_path / "tls")
    with running_https(Starlette(routes=[Route("/p.png", answer)]), tls) as port:
        app = create_app(
            settings_factory(
                media_fetch_allow_private=True,
                media_fetch_ca_file=tls.certfile,
                screening_nudity_detector=f"{MODULE}:flags_outputs_only",
                free_daily_credits=0,
            )
        )
        with TestClient(app) as client:
            key = new_key(app, credits=5)
            body = {"prompt": PROMPT, "type": "i2i", "image": f"https://127.0.0.1:{port}/p.png"}
            queued = client.post(
                "/api/v1/generate", json={**body, "async": True}, headers=key.headers
            )
            assert queued.status_code == 202, queued.text
            finished = wait_finished(client, queued.json()["id"], key.headers)
            assert finished["status"] == "failed", finished
            assert finished["credits_used"] == 0 and available(client, key) == 5
            with app.state.limner.database.read() as session:
                last = session.scalars(
                    select(ModerationEvent).order_by(ModerationEvent.created_at.desc())
                ).first()
            assert last is not None and (last.field, last.rule) == ("image", "input_nudity")
    assert len(served) == 2
