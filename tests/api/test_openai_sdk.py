"""The OpenAI Images API surface, driven by the official `openai` package against a real server.

`max_retries=0`: the SDK would otherwise retry 429s and 5xx after sleeping. Every request here
also goes through the v1 engine, so the v1 endpoints are the reference for what was charged and
recorded.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from limner.db.tables import Generation, ModerationEvent
from limner.generation.accounts import AccountRef
from limner.generation.admission import RULE_ADULT_IMAGE_INPUT
from limner.media import MediaLimits
from limner.openai_api import openai_mask
from tests.conftest import Key, KeyFactory
from tests.support.cli import cli_env, run_cli
from tests.support.live_server import free_port, running

openai = pytest.importorskip("openai")

PROMPT = "a lighthouse at dusk"


_clients: list[openai.OpenAI] = []


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], port: int) -> Settings:
    """The app of `served`: its image URLs point at the live server (the SDK fetches them)."""
    return settings_factory(public_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def served(app: FastAPI, port: int) -> Iterator[str]:
    with running(app, port=port) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def sdk(base_url: str, key: Key | str) -> openai.OpenAI:
    api_key = key if isinstance(key, str) else key.key
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=api_key, max_retries=0)
    _clients.append(client)
    return client


def v1(base_url: str, key: Key, path: str) -> dict:
    response = httpx.get(f"{base_url}/api/v1{path}", headers=key.headers)
    assert response.status_code == 200, response.text
    return response.json()


def credits(base_url: str, key: Key) -> int:
    return v1(base_url, key, "/account")["credits_available"]


def fetch(url: str) -> Image.Image:
    response = httpx.get(url)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def decode(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_url_generation_is_a_v1_generation(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=10)
    raw = sdk(served, key).images.with_raw_response.generate(prompt=PROMPT)
    generation_id = raw.headers["x-limner-generation-id"]
    result = raw.parse()
    assert len(result.data) == 1 and result.data[0].url is not None
    assert result.data[0].b64_json is None
    assert result.size == "512x512" and result.output_format == "png"
    image = fetch(result.data[0].url)
    assert image.format == "PNG" and image.size == (512, 512)
    # the same generation, charged and listed as the v1 endpoint shows it
    listed = v1(served, key, "/generations")["data"]
    assert [g["id"] for g in listed] == [generation_id]
    assert listed[0]["style"] == "realistic" and listed[0]["quality"] == "fast"
    assert listed[0]["credits_used"] == 1
    assert listed[0]["image_url"] == result.data[0].url
    assert credits(served, key) == 15 - 1


def test_b64_batch_costs_what_the_v1_endpoint_charges(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=20)
    result = sdk(served, key).images.generate(
        prompt=PROMPT, n=2, quality="hd", response_format="b64_json", model="anime"
    )
    assert [decode(item.b64_json).size for item in result.data] == [(1024, 1024)] * 2
    assert all(item.url is None for item in result.data)
    after_openai = credits(served, key)
    reference = httpx.post(
        f"{served}/api/v1/generate",
        json={"prompt": PROMPT, "n": 2, "quality": "hires", "style": "anime"},
        headers=key.headers,
    ).json()
    assert reference["credits_used"] == 25 - after_openai == 4
    assert credits(served, key) == after_openai - reference["credits_used"]
    listed = v1(served, key, "/generations")["data"]
    assert len(listed) == 2
    assert {(g["style"], g["quality"], g["n"], g["credits_used"]) for g in listed} == {
        ("anime", "hires", 2, 4)
    }


@pytest.mark.parametrize(
    ("quality", "charged", "size"),
    [
        ("low", 1, (512, 512)),
        ("medium", 1, (512, 512)),
        ("standard", 1, (512, 512)),
        ("auto", 1, (512, 512)),
        ("high", 2, (1024, 1024)),
        ("hd", 2, (1024, 1024)),
    ],
)
def test_quality_maps_to_fast_or_hires(
    served: str, make_key: KeyFactory, quality: str, charged: int, size: tuple[int, int]
) -> None:
    key = make_key(credits=10)
    result = sdk(served, key).images.generate(prompt=PROMPT, quality=quality)  # type: ignore[arg-type]
    assert fetch(result.data[0].url or "").size == size
    listed = v1(served, key, "/generations")["data"][0]
    assert listed["quality"] == ("hires" if charged == 2 else "fast")
    assert listed["credits_used"] == charged
    assert credits(served, key) == 15 - charged


def test_sizes(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    wide = client.images.generate(prompt=PROMPT, size="640x384")  # type: ignore[arg-type]
    assert wide.size == "640x384" and fetch(wide.data[0].url or "").size == (640, 384)
    native = client.images.generate(prompt=PROMPT, size="auto")
    assert native.size == "512x512" and fetch(native.data[0].url or "").size == (512, 512)
    big = client.images.generate(prompt=PROMPT, size="1024x1024", model="realistic.hires")
    assert fetch(big.data[0].url or "").size == (1024, 1024)
    spent = credits(served, key)
    for size in ("1020x1020", "8x8", "8192x512", "huge"):  # off the grid, too small/big, no size
        with pytest.raises(openai.BadRequestError) as refused:
            client.images.generate(prompt=PROMPT, size=size)  # type: ignore[arg-type]
        error = refused.value.body
        assert isinstance(error, dict)
        assert error["param"] == "size" and error["code"] == "invalid_value"
        assert error["type"] == "invalid_request_error"
    assert credits(served, key) == spent


@pytest.mark.parametrize(
    ("model", "size", "made"),
    [
        # each model's default size in the SDK's own docs and in LangChain's DallEAPIWrapper
        ("dall-e-2", "1024x1024", (512, 512)),
        ("dall-e-3", "1024x1024", (512, 512)),
        ("gpt-image-1", "1024x1024", (512, 512)),
        ("gpt-image-1", "1024x1536", (416, 624)),
        ("gpt-image-1", "1536x1024", (624, 416)),
        ("realistic", "768x512", (624, 416)),  # docs/openai-compatible.md's first example
    ],
)
def test_openai_default_sizes_are_made_smaller_and_delivered_as_asked(
    app: FastAPI, served: str, make_key: KeyFactory, model: str, size: str, made: tuple[int, int]
) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    asked = tuple(int(side) for side in size.split("x"))
    raw = client.images.with_raw_response.generate(
        prompt=PROMPT, model=model, size=size  # type: ignore[arg-type]
    )
    result = raw.parse()
    assert result.size == size and fetch(result.data[0].url or "").size == asked
    b64 = client.images.generate(
        prompt=PROMPT, model=model, size=size, response_format="b64_json"  # type: ignore[arg-type]
    )
    assert decode(b64.data[0].b64_json).size == asked
    assert credits(served, key) == 13  # one fast image each, whatever the size
    # the generation records the size the model made and the size delivered
    with app.state.limner.database.read() as session:
        generation = session.get(Generation, raw.headers["x-limner-generation-id"])
        assert generation is not None
        params = generation.params
    assert (params["width"], params["height"]) == made
    assert params["origin"]["size"] == size


def test_model_selects_style_and_preset(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    client.images.generate(prompt=PROMPT, model="anime.hires")
    client.images.generate(prompt=PROMPT, model="dall-e-3")  # what many clients send
    listed = v1(served, key, "/generations")["data"]
    assert [(g["style"], g["quality"]) for g in listed] == [
        ("realistic", "fast"),
        ("anime", "hires"),
    ]
    with pytest.raises(openai.BadRequestError) as conflict:
        client.images.generate(prompt=PROMPT, model="anime.hires", quality="low")
    assert conflict.value.body["param"] == "quality"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as unknown:
        client.images.generate(prompt=PROMPT, model="midjourney")
    assert unknown.value.body["param"] == "model"  # type: ignore[index]


def test_models_list_offers_styles_and_presets(served: str, make_key: KeyFactory) -> None:
    client = sdk(served, make_key())
    ids = [model.id for model in client.models.list()]
    assert ids[:3] == ["realistic", "anime", "nude"]
    assert {"realistic.fast", "realistic.hires", "anime.fast", "nude.hires"} <= set(ids)
    assert client.models.retrieve("anime.hires").owned_by == "limner"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("dall-e-4")


def test_moderation_refusal_is_content_policy_violation(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    terms = tmp_path / "blocked.txt"
    terms.write_text("zeppelin\n")
    app = create_app(settings_factory(moderation_blocked_terms_file=terms))

    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=5)
    with running(app) as base_url:
        client = sdk(base_url, issued.key)
        refusals = [
            {"prompt": "a zeppelin over hills"},  # the operator's house rule
            {"prompt": "a beach selfie, 16 years old", "model": "nude"},  # safety line 1
        ]
        for params in refusals:
            with pytest.raises(openai.BadRequestError) as refused:
                client.images.generate(**params)  # type: ignore[arg-type]
            error = refused.value.body
            assert isinstance(error, dict)
            assert error["code"] == "content_policy_violation"
            assert error["param"] == "prompt"
            assert "zeppelin" not in error["message"].lower()
        account = httpx.get(
            f"{base_url}/api/v1/account", headers={"Authorization": f"Bearer {issued.key}"}
        ).json()
        assert account["credits_available"] == 10  # nothing charged, nothing held
        # the v1 endpoint keeps its own shape for the same refusal
        v1_refusal = httpx.post(
            f"{base_url}/api/v1/generate",
            json={"prompt": "a zeppelin over hills"},
            headers={"Authorization": f"Bearer {issued.key}"},
        )
        assert v1_refusal.status_code == 403
        assert v1_refusal.json()["error"] == "content_blocked"


def test_bad_and_missing_keys_are_authentication_errors(served: str) -> None:
    with pytest.raises(openai.AuthenticationError) as wrong:
        sdk(served, "lmn_not_a_real_key").images.generate(prompt=PROMPT)
    assert wrong.value.body["code"] == "invalid_api_key"  # type: ignore[index]
    with pytest.raises(openai.AuthenticationError):
        sdk(served, "lmn_not_a_real_key").models.list()
    missing = httpx.post(f"{served}/v1/images/generations", json={"prompt": PROMPT})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"


def test_exhausted_credits_are_insufficient_quota(
    settings_factory: Callable[..., Settings],
) -> None:
    app = create_app(settings_factory(free_daily_credits=1))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    with running(app) as base_url:
        client = sdk(base_url, issued.key)
        client.images.generate(prompt=PROMPT)
        with pytest.raises(openai.RateLimitError) as exhausted:
            client.images.generate(prompt=PROMPT)
        error = exhausted.value.body
        assert isinstance(error, dict)
        assert error["code"] == "insufficient_quota" and error["type"] == "insufficient_quota"
        with pytest.raises(openai.RateLimitError):  # hires needs 2: refused, not part-charged
            client.images.generate(prompt=PROMPT, quality="hd")


def test_rate_limit_is_429_with_retry_after(settings_factory: Callable[..., Settings]) -> None:
    app = create_app(settings_factory(rate_limit_free="2/minute"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=5)
    with running(app) as base_url:
        client = sdk(base_url, issued.key)
        client.images.generate(prompt=PROMPT)
        client.images.generate(prompt=PROMPT)
        with pytest.raises(openai.RateLimitError) as limited:
            client.images.generate(prompt=PROMPT)
    assert limited.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    assert int(limited.value.response.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"background": "transparent"}, "background"),
        ({"style": "vivid"}, "style"),
        ({"moderation": "low"}, "moderation"),
        ({"output_format": "jpeg", "output_compression": 80}, "output_compression"),
        ({"extra_body": {"negative_prompt": "rain"}}, "negative_prompt"),
    ],
)
def test_unsupported_parameters_are_400_naming_them(
    served: str, make_key: KeyFactory, params: dict, param: str
) -> None:
    key = make_key(credits=5)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(served, key).images.generate(prompt=PROMPT, **params)
    error = refused.value.body
    assert isinstance(error, dict) and error["param"] == param
    assert param in error["message"]
    assert credits(served, key) == 10


def test_accepted_defaults_of_unsupported_options(served: str, make_key: KeyFactory) -> None:
    """The values that are what Limner does anyway are accepted, not refused."""
    key = make_key(credits=5)
    result = sdk(served, key).images.generate(
        prompt=PROMPT, background="opaque", style="natural", moderation="auto"
    )
    assert len(result.data) == 1


def verified(base_url: str, key: Key, data: bytes) -> dict:
    """`POST /api/v1/verify` of the delivered bytes: what the server says of their provenance."""
    response = httpx.post(f"{base_url}/api/v1/verify", content=data, headers=key.headers)
    assert response.status_code == 200, response.text
    return response.json()


def delivered(item: object, response_format: str, media_type: str) -> bytes:
    """The bytes the client got: fetched from `url` (served as `media_type`) or `b64_json`."""
    if response_format == "url":
        url = getattr(item, "url", None)
        assert url is not None and getattr(item, "b64_json", None) is None
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        return response.content
    b64 = getattr(item, "b64_json", None)
    assert b64 is not None and getattr(item, "url", None) is None
    return base64.b64decode(b64)


FORMATS = [("jpeg", "JPEG", "image/jpeg"), ("webp", "WEBP", "image/webp")]


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
@pytest.mark.parametrize(("output_format", "pil_format", "media_type"), FORMATS)
def test_output_format_is_the_engines_with_its_c2pa_manifest(
    served: str,
    make_key: KeyFactory,
    output_format: str,
    pil_format: str,
    media_type: str,
    response_format: str,
) -> None:
    """The engine encodes and stamps jpeg/webp itself, so each delivery verifies in full."""
    key = make_key(credits=5)
    raw = sdk(served, key).images.with_raw_response.generate(
        prompt=PROMPT,
        response_format=response_format,  # type: ignore[arg-type]
        output_format=output_format,  # type: ignore[arg-type]
    )
    generation_id = raw.headers["x-limner-generation-id"]
    result = raw.parse()
    assert result.output_format == output_format
    data = delivered(result.data[0], response_format, media_type)
    assert Image.open(io.BytesIO(data)).format == pil_format
    found = verified(served, key, data)
    assert found["format"] == pil_format
    assert found["c2pa_valid"] is True and found["c2pa_trusted"] is True
    assert found["generation_id"] == found["metadata_generation_id"] == generation_id
    assert found["from_this_server"] is True and found["ai_generated"] is True
    # b64_json and url are the same stored bytes, not a re-encoding at the surface
    stored = httpx.get(v1(served, key, f"/generations/{generation_id}")["image_url"])
    assert stored.headers["content-type"] == media_type and stored.content == data


@pytest.mark.parametrize(("output_format", "pil_format", "media_type"), FORMATS)
def test_edits_and_variations_deliver_output_format_with_its_manifest(
    served: str, make_key: KeyFactory, output_format: str, pil_format: str, media_type: str
) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    picture = ("in.png", encoded(gradient()), "image/png")
    edit = client.images.with_raw_response.edit(
        image=picture,
        mask=("mask.png", encoded(left_half_mask()), "image/png"),
        prompt=PROMPT,
        output_format=output_format,  # type: ignore[arg-type]
    )
    with pytest.deprecated_call():  # the SDK marks variations deprecated; clients still call it
        variation = client.images.with_raw_response.create_variation(
            image=picture,
            response_format="b64_json",
            extra_body={"output_format": output_format},  # not in the SDK's variation params
        )
    for raw, response_format in [(edit, "url"), (variation, "b64_json")]:
        result = raw.parse()
        data = delivered(result.data[0], response_format, media_type)
        assert Image.open(io.BytesIO(data)).format == pil_format
        found = verified(served, key, data)
        assert found["c2pa_valid"] is True and found["made_from_input"] is True
        assert found["generation_id"] == raw.headers["x-limner-generation-id"]


def test_limner_verify_names_the_generation_of_a_jpeg_url_image(
    app: FastAPI, served: str, make_key: KeyFactory, tmp_path: Path
) -> None:
    key = make_key(credits=5)
    raw = sdk(served, key).images.with_raw_response.generate(prompt=PROMPT, output_format="jpeg")
    path = tmp_path / "out.jpeg"
    path.write_bytes(httpx.get(raw.parse().data[0].url or "").content)
    verified = run_cli("verify", str(path), env=cli_env(app.state.limner.settings.data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"Made by this server: generation {raw.headers['x-limner-generation-id']}" in (
        verified.stdout
    )
    assert re.search(r"c2pa_valid\W+True", verified.stdout), verified.stdout


def test_limner_verify_names_the_generation_of_a_url_image(
    app: FastAPI, served: str, make_key: KeyFactory, tmp_path: Path
) -> None:
    key = make_key(credits=5)
    raw = sdk(served, key).images.with_raw_response.generate(prompt=PROMPT)
    path = tmp_path / "out.png"
    path.write_bytes(httpx.get(raw.parse().data[0].url or "").content)
    verified = run_cli("verify", str(path), env=cli_env(app.state.limner.settings.data_dir))
    assert verified.returncode == 0, verified.stderr
    assert f"generation {raw.headers['x-limner-generation-id']}" in verified.stdout


def test_user_is_recorded_with_the_generation(
    app: FastAPI, served: str, make_key: KeyFactory
) -> None:
    key = make_key(credits=5)
    sdk(served, key).images.generate(prompt=PROMPT, user="end-user-42")
    with app.state.limner.database.read() as session:
        generation = session.scalars(select(Generation)).one()
    assert generation.params["origin"] == {"surface": "openai", "user": "end-user-42"}
    # a stored plan (what a worker or recovery rebuilds) keeps the origin beside the request
    caller = AccountRef(id=key.account_id, key_prefix=key.prefix, plan="free")
    restored = app.state.limner.service.planner.restore(generation, caller)
    assert restored.origin == generation.params["origin"] and restored.request.prompt == PROMPT
    assert restored.stored_params() == generation.params
    # and the generation reads back through the v1 endpoint like any other
    assert v1(served, key, f"/generations/{generation.id}")["status"] == "completed"


def test_batch_cap_names_n(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=50)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(served, key).images.generate(prompt=PROMPT, n=9)
    assert refused.value.body["param"] == "n"  # type: ignore[index]


EDIT_SIZE = (160, 96)
MASK_LIMITS = MediaLimits(max_bytes=1024 * 1024, max_pixels=1024 * 1024)


def gradient(size: tuple[int, int] = EDIT_SIZE) -> Image.Image:
    """A smooth, varied picture, so a changed pixel shows."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    planes = [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width))]
    rgb = np.stack([*planes, (planes[0] + planes[1]) / 2], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def left_half_mask(size: tuple[int, int] = EDIT_SIZE) -> Image.Image:
    """OpenAI's convention: the transparent left half is repainted, the opaque right kept."""
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    return mask


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def listed_generation(base_url: str, key: Key, generation_id: str) -> dict:
    return v1(base_url, key, f"/generations/{generation_id}")


def test_an_edit_with_a_mask_repaints_only_the_transparent_pixels(
    served: str, make_key: KeyFactory
) -> None:
    key = make_key(credits=10)
    source = gradient()
    raw = sdk(served, key).images.with_raw_response.edit(
        image=("in.png", encoded(source), "image/png"),
        mask=("mask.png", encoded(left_half_mask()), "image/png"),
        prompt="add a boat on the water",
    )
    result = raw.parse()
    assert result.size == "160x96" and len(result.data) == 1
    out = np.asarray(fetch(result.data[0].url or "").convert("RGB"))
    original = np.asarray(source)
    assert out.shape == original.shape  # the answer is at the input's size
    half = EDIT_SIZE[0] // 2
    # the opaque half is the input's, changed only by the invisible watermark ...
    assert psnr(out[:, half:], original[:, half:]) >= 40
    for x, y in [(half + 8, 4), (EDIT_SIZE[0] - 3, 50), (120, EDIT_SIZE[1] - 3)]:
        assert np.abs(out[y, x].astype(int) - original[y, x].astype(int)).max() <= 8, (x, y)
    # ... and the transparent half was repainted
    assert psnr(out[:, : half - 8], original[:, : half - 8]) < 30
    generation = listed_generation(served, key, raw.headers["x-limner-generation-id"])
    assert generation["type"] == "inpaint" and generation["credits_used"] == 1
    assert credits(served, key) == 15 - 1


def test_an_edit_without_a_mask_is_i2i_and_a_variation_too(
    served: str, make_key: KeyFactory
) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    jpeg = ("in.jpg", encoded(gradient(), "JPEG"), "image/jpeg")
    edit = client.images.with_raw_response.edit(image=jpeg, prompt="make it a winter scene")
    assert fetch(edit.parse().data[0].url or "").size == EDIT_SIZE
    with pytest.deprecated_call():  # the SDK marks variations deprecated; clients still call it
        variation = client.images.with_raw_response.create_variation(
            image=("in.png", encoded(gradient()), "image/png"),
            n=2,
            response_format="b64_json",
            size="160x96",
        )
    pictures = [decode(item.b64_json) for item in variation.parse().data]
    assert [(p.format, p.size) for p in pictures] == [("PNG", EDIT_SIZE)] * 2
    assert not np.array_equal(np.asarray(pictures[0]), np.asarray(pictures[1]))
    made = {
        raw.headers["x-limner-generation-id"]: listed_generation(
            served, key, raw.headers["x-limner-generation-id"]
        )
        for raw in (edit, variation)
    }
    assert [(g["type"], len(g["images"]), g["credits_used"]) for g in made.values()] == [
        ("i2i", 1, 1),
        ("i2i", 2, 2),
    ]
    listed = [g["id"] for g in v1(served, key, "/generations")["data"]]
    assert set(listed) == set(made)
    assert credits(served, key) == 15 - 3


def test_an_edit_costs_what_the_v1_endpoint_charges(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=20)
    picture, mask = encoded(gradient()), encoded(left_half_mask())
    sdk(served, key).images.edit(
        image=("in.png", picture, "image/png"),
        mask=("mask.png", mask, "image/png"),
        prompt=PROMPT,
        n=2,
        quality="hd",
        response_format="b64_json",
        model="anime",
    )
    after_openai = credits(served, key)
    as_data = "data:image/png;base64,"
    reference = httpx.post(
        f"{served}/api/v1/generate",
        json={
            "type": "inpaint",
            "prompt": PROMPT,
            "n": 2,
            "quality": "hires",
            "style": "anime",
            "image": as_data + base64.b64encode(picture).decode(),
            "mask": as_data + base64.b64encode(openai_mask(mask, limits=MASK_LIMITS)).decode(),
        },
        headers=key.headers,
    )
    assert reference.status_code == 200, reference.text
    assert reference.json()["credits_used"] == 25 - after_openai == 4
    assert credits(served, key) == after_openai - 4
    listed = v1(served, key, "/generations")["data"]
    assert {(g["type"], g["style"], g["quality"], g["n"], g["credits_used"]) for g in listed} == {
        ("inpaint", "anime", "hires", 2, 4)
    }
    assert len(listed) == 2


def test_limner_verify_names_the_generation_of_an_edit(
    app: FastAPI, served: str, make_key: KeyFactory, tmp_path: Path
) -> None:
    key = make_key(credits=5)
    raw = sdk(served, key).images.with_raw_response.edit(
        image=("in.png", encoded(gradient()), "image/png"),
        prompt=PROMPT,
        response_format="b64_json",
        output_format="webp",
    )
    path = tmp_path / "edit.webp"
    path.write_bytes(base64.b64decode(raw.parse().data[0].b64_json or ""))
    verified = run_cli("verify", str(path), env=cli_env(app.state.limner.settings.data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"generation {raw.headers['x-limner-generation-id']}" in verified.stdout


def test_the_adult_style_takes_no_uploaded_picture(
    app: FastAPI, served: str, make_key: KeyFactory
) -> None:
    key = make_key(credits=10)
    client = sdk(served, key)
    picture = ("in.png", encoded(gradient()), "image/png")
    attempts = [
        lambda: client.images.edit(image=picture, prompt="a beach at noon", model="nude"),
        lambda: client.images.edit(
            image=picture,
            mask=("mask.png", encoded(left_half_mask()), "image/png"),
            prompt="a beach at noon",
            model="nude.hires",
        ),
    ]
    for attempt in attempts:
        with pytest.raises(openai.BadRequestError) as refused:
            attempt()
        error = refused.value.body
        assert isinstance(error, dict)
        assert error["code"] == "content_policy_violation" and error["param"] == "image"
        # the rule in words a user can act on, not "blocked by content moderation"
        assert "adult style" in error["message"] and "gen_ id" in error["message"]
    with pytest.raises(openai.BadRequestError) as variation, pytest.deprecated_call():
        client.images.create_variation(image=picture, model="nude")
    assert variation.value.body["code"] == "content_policy_violation"  # type: ignore[index]
    # recorded in the refusal log, nothing charged or made
    with app.state.limner.database.read() as session:
        events = session.scalars(
            select(ModerationEvent).where(ModerationEvent.account_id == key.account_id)
        ).all()
    assert [(e.field, e.rule, e.style) for e in events] == [
        ("image", RULE_ADULT_IMAGE_INPUT, "nude")
    ] * 3
    assert credits(served, key) == 15
    assert v1(served, key, "/generations")["data"] == []


@pytest.mark.parametrize(
    ("files", "param"),
    [
        ({"image": ("notes.txt", b"a lighthouse at dusk\n", "text/plain")}, "image"),
        (
            {"image": ("in.png", encoded(gradient()), "image/png"), "mask": ("m.pdf", b"%PDF-1.7")},
            "mask",
        ),
    ],
)
def test_a_file_that_is_not_a_picture_is_a_clear_400(
    served: str, make_key: KeyFactory, files: dict, param: str
) -> None:
    key = make_key(credits=5)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(served, key).images.edit(prompt=PROMPT, **files)
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["param"] == param and error["code"] == "invalid_value"
    assert param in error["message"] and "PNG" in error["message"]
    assert credits(served, key) == 10


def test_edit_form_refusals_name_the_field(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=5)
    client = sdk(served, key)
    one = ("a.png", encoded(gradient()), "image/png")
    two = ("b.png", encoded(gradient((64, 64))), "image/png")
    cases = [
        ({"image": [one, two], "prompt": PROMPT}, "image", "one picture per request"),
        ({"image": one, "prompt": PROMPT, "size": "512x512"}, "size", "160x96"),
        (
            {"image": one, "prompt": PROMPT, "background": "transparent"},
            "background",
            "transparent",
        ),
        (
            {"image": one, "prompt": PROMPT, "input_fidelity": "high"},
            "input_fidelity",
            "input_fidelity",
        ),
    ]
    for params, param, said in cases:
        with pytest.raises(openai.BadRequestError) as refused:
            client.images.edit(**params)
        error = refused.value.body
        assert isinstance(error, dict) and error["param"] == param, error
        assert said in error["message"]
    # one picture sent as the list form `image[]` is the same as `image`
    assert client.images.edit(image=[one], prompt=PROMPT, size="160x96").size == "160x96"
    assert credits(served, key) == 10 - 1
    # a body that is not multipart is refused in OpenAI's shape
    not_form = httpx.post(f"{served}/v1/images/edits", json={"prompt": PROMPT}, headers=key.headers)
    assert not_form.status_code == 400
    assert "multipart/form-data" in not_form.json()["error"]["message"]
    as_text = httpx.post(
        f"{served}/v1/images/edits",
        data={"prompt": PROMPT, "image": "https://example.com/a.png"},
        files={"mask": ("m.png", encoded(left_half_mask()), "image/png")},
        headers=key.headers,
    )
    assert as_text.status_code == 400 and as_text.json()["error"]["param"] == "image"
    assert credits(served, key) == 10 - 1


def test_a_picture_over_the_upload_limit_is_413_before_it_is_read(
    settings_factory: Callable[..., Settings],
) -> None:
    app = create_app(settings_factory(max_upload_bytes=4096))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    noise = np.random.default_rng(7).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    big = encoded(Image.fromarray(noise, "RGB"))
    assert len(big) > 4096 + 64 * 1024  # past one picture's limit and the form's framing
    with running(app) as base_url:
        with pytest.raises(openai.APIStatusError) as refused:
            sdk(base_url, issued.key).images.edit(
                image=("big.png", big, "image/png"), prompt=PROMPT
            )
        assert refused.value.status_code == 413
        assert refused.value.body["code"] == "payload_too_large"  # type: ignore[index]
        assert credits(base_url, Key(issued.key, issued.prefix, issued.account_id)) == 5


def test_a_test_key_gets_placeholder_images_and_is_never_charged(app: FastAPI, served: str) -> None:
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, test=True)
    key = Key(issued.key, issued.prefix, issued.account_id)
    result = sdk(served, key).images.generate(prompt=PROMPT, n=2, quality="hd")
    assert len(result.data) == 2
    listed = v1(served, key, "/generations")["data"]
    assert listed[0]["livemode"] is False and listed[0]["credits_used"] == 0
    assert credits(served, key) == 5
    assert "realistic.hires" in [model.id for model in sdk(served, key).models.list()]


def test_every_error_on_the_surface_has_openai_shape(served: str, make_key: KeyFactory) -> None:
    """Errors raised before any route code (a bad body, an unknown path) are in OpenAI's shape
    on /v1/... and in the v1 shape on /api/v1/..."""
    key = make_key()
    not_json = httpx.post(
        f"{served}/v1/images/generations", content=b"{prompt:", headers=key.headers
    )
    assert not_json.status_code == 400
    assert set(not_json.json()["error"]) == {"message", "type", "param", "code"}
    assert not_json.json()["error"]["type"] == "invalid_request_error"
    unknown = httpx.get(f"{served}/v1/images/nowhere", headers=key.headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    v1_not_json = httpx.post(f"{served}/api/v1/generate", content=b"{prompt:", headers=key.headers)
    assert v1_not_json.json() == {
        "error": "invalid_request",
        "message": "The request body is not valid JSON.",
    }
