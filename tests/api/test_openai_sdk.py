"""The OpenAI Images API surface, driven by the official `openai` package against a real server.

`max_retries=0`: the SDK would otherwise retry 429s and 5xx after sleeping. Every request here
also goes through the v1 engine, so the v1 endpoints are the reference for what was charged and
recorded.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from limner.db.tables import Generation
from limner.generation.accounts import AccountRef
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
    for size in ("1024x1024", "1000x1000", "huge"):  # over fast's pixels, off the grid, no size
        with pytest.raises(openai.BadRequestError) as refused:
            client.images.generate(prompt=PROMPT, size=size)  # type: ignore[arg-type]
        error = refused.value.body
        assert isinstance(error, dict)
        assert error["param"] == "size" and error["code"] == "invalid_value"
        assert error["type"] == "invalid_request_error"
    assert credits(served, key) == spent


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
        ({"output_format": "jpeg"}, "output_format"),  # jpeg/webp: b64_json only
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


@pytest.mark.parametrize(("output_format", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP")])
def test_output_format_keeps_provenance(
    app: FastAPI,
    served: str,
    make_key: KeyFactory,
    tmp_path: Path,
    output_format: str,
    pil_format: str,
) -> None:
    key = make_key(credits=5)
    raw = sdk(served, key).images.with_raw_response.generate(
        prompt=PROMPT,
        response_format="b64_json",
        output_format=output_format,  # type: ignore[arg-type]
        output_compression=90,
    )
    generation_id = raw.headers["x-limner-generation-id"]
    result = raw.parse()
    assert result.output_format == output_format
    image = decode(result.data[0].b64_json)
    assert image.format == pil_format
    path = tmp_path / f"out.{output_format}"
    path.write_bytes(base64.b64decode(result.data[0].b64_json or ""))
    verified = run_cli("verify", str(path), env=cli_env(app.state.limner.settings.data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"Made by this server: generation {generation_id}" in verified.stdout
    assert "trainedAlgorithmicMedia" in verified.stdout  # the metadata came along


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


def test_edits_and_variations_are_not_supported_yet(served: str, make_key: KeyFactory) -> None:
    key = make_key(credits=5)
    client = sdk(served, key)
    picture = io.BytesIO()
    Image.new("RGBA", (64, 64), (10, 20, 30, 0)).save(picture, "PNG")
    png = ("in.png", picture.getvalue(), "image/png")
    with pytest.raises(openai.BadRequestError) as edits:
        client.images.edit(image=png, prompt="add a boat")
    assert edits.value.body["code"] == "unsupported_endpoint"  # type: ignore[index]
    assert "/v1/images/edits" in edits.value.body["message"]  # type: ignore[index]
    # the SDK marks variations deprecated (OpenAI's newer models have none); clients still call it
    with pytest.raises(openai.BadRequestError) as variations, pytest.deprecated_call():
        client.images.create_variation(image=png)
    assert "/v1/images/variations" in variations.value.body["message"]  # type: ignore[index]
    assert credits(served, key) == 10


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
