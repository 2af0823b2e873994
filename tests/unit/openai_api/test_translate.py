"""The OpenAI surface's translation, as pure code: parameters -> the v1 body, edits and
variations -> image-input bodies with OpenAI's mask convention, the model menu."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import limner.openai_api as openai_api
from limner.domain.styles import Quality, Style
from limner.errors import ValidationFailed
from limner.media import MediaLimits
from limner.openai_api import (
    Size,
    UnsupportedParameter,
    edit_call,
    generation_call,
    list_models,
    openai_mask,
    resolve_model,
    variation_call,
)
from limner.openai_api.edits import VARIATION_PROMPT, sniff_image_type
from tests.conftest import Key

PROMPT = "a lighthouse at dusk"
LIMITS = MediaLimits(max_bytes=1024 * 1024, max_pixels=1024 * 1024)
#: each pixel of the small test masks becomes a block of this many, above the smallest side
SCALE = 8


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def from_data_url(url: str) -> Image.Image:
    header, _, payload = url.partition(",")
    assert header == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(payload)))


def test_the_public_names_are_exported() -> None:
    assert sorted(openai_api.__all__) == sorted(
        name
        for name in dir(openai_api)
        if not name.startswith("_") and name[0].isalpha()
        if name not in {"catalog", "edits", "errors", "params", "schemas", "sizing"}
    )


def test_a_bare_prompt_is_the_v1_default_body() -> None:
    call = generation_call({"prompt": PROMPT})
    assert call.body == {"prompt": PROMPT, "style": "realistic", "quality": "fast"}
    assert call.size is None and call.response_format == "url"
    assert call.user is None


@pytest.mark.parametrize(
    ("quality", "expected"),
    [
        ("low", "fast"),
        ("medium", "fast"),
        ("standard", "fast"),
        ("auto", "fast"),
        ("high", "hires"),
        ("hd", "hires"),
    ],
)
def test_quality_mapping(quality: str, expected: str) -> None:
    assert generation_call({"prompt": PROMPT, "quality": quality}).body["quality"] == expected


def test_every_option_maps() -> None:
    call = generation_call(
        {
            "prompt": PROMPT,
            "model": "anime.hires",
            "n": 3,
            "size": "768x512",
            "response_format": "b64_json",
            "output_format": "webp",
            "user": "u-1",
            "background": "opaque",
            "style": "natural",
            "moderation": "auto",
        }
    )
    assert call.body == {
        "prompt": PROMPT,
        "style": "anime",
        "quality": "hires",
        "n": 3,
        "output_format": "webp",  # the engine's own field: it encodes and stamps the image
    }
    assert call.size == Size(768, 512) and str(call.size) == "768x512"
    assert call.user == "u-1" and call.response_format == "b64_json"


@pytest.mark.parametrize(
    ("extra", "param", "unsupported"),
    [
        ({"background": "transparent"}, "background", True),
        ({"style": "vivid"}, "style", True),
        ({"moderation": "low"}, "moderation", True),
        ({"stream": True}, "stream", True),
        ({"partial_images": 2}, "partial_images", True),
        ({"seed": 3}, "seed", True),  # a v1 field, but not an OpenAI parameter
        ({"output_compression": 50}, "output_compression", True),  # fixed server quality
        ({"output_format": "jpeg", "output_compression": 100}, "output_compression", True),
        ({"output_format": "gif"}, "output_format", False),
        ({"quality": "ultra"}, "quality", False),
        ({"n": "2"}, "n", False),
        ({"n": 0}, "n", False),
        ({"size": "512"}, "size", False),
        ({"size": "0x512"}, "size", False),
        ({"model": "sdxl"}, "model", False),
        ({"model": "anime.ultra"}, "model", False),
        ({"model": "realistic.hires", "quality": "standard"}, "quality", False),
        ({"user": "u" * 257}, "user", False),
    ],
)
def test_refusals_name_the_parameter(extra: dict[str, Any], param: str, unsupported: bool) -> None:
    with pytest.raises(ValidationFailed) as refused:
        generation_call({"prompt": PROMPT, **extra})
    assert refused.value.field == param
    assert isinstance(refused.value, UnsupportedParameter) is unsupported


def test_a_missing_or_wrong_prompt_is_named() -> None:
    for body in ({}, {"prompt": 5}):
        with pytest.raises(ValidationFailed) as refused:
            generation_call(body)
        assert refused.value.field == "prompt"


def test_model_ids() -> None:
    assert resolve_model(None) == resolve_model("realistic")
    assert (
        resolve_model("dall-e-3") is not None and resolve_model("dall-e-3").style is Style.realistic
    )  # type: ignore[union-attr]
    nude = resolve_model("nude.fast")
    assert nude is not None and (nude.style, nude.quality) == (Style.nude, Quality.fast)
    assert resolve_model("nude.") is None and resolve_model("vivid") is None


def test_the_menu_leaves_out_what_no_backend_serves() -> None:
    def supports(style: Style, quality: Quality) -> bool:
        return style is not Style.nude and not (style is Style.anime and quality is Quality.hires)

    ids = [choice.id for choice in list_models(supports)]
    assert ids == ["realistic", "anime", "realistic.fast", "realistic.hires", "anime.fast"]


def test_an_openai_mask_becomes_a_limner_mask() -> None:
    """OpenAI: transparent pixels are repainted. Limner without alpha: white is repainted."""
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[..., :3] = 200  # the colour is ignored
    rgba[..., 3] = 255
    rgba[1:3, 2:5, 3] = 0  # the hole to repaint
    rgba[0, 0, 3] = 127  # mostly transparent: repainted
    rgba[3, 5, 3] = 128  # mostly opaque: kept
    rgba = rgba.repeat(SCALE, axis=0).repeat(SCALE, axis=1)
    mask = openai_mask(png(Image.fromarray(rgba, "RGBA")), limits=LIMITS)
    converted = Image.open(io.BytesIO(mask))
    assert converted.mode == "L" and converted.size == (6 * SCALE, 4 * SCALE)
    expected = np.zeros((4, 6), dtype=np.uint8)
    expected[1:3, 2:5] = 255
    expected[0, 0] = 255
    expected = expected.repeat(SCALE, axis=0).repeat(SCALE, axis=1)
    assert (np.asarray(converted) == expected).all()


def test_a_mask_without_alpha_or_not_an_image_is_refused() -> None:
    with pytest.raises(ValidationFailed) as opaque:
        openai_mask(png(Image.new("RGB", (32, 32), "white")), limits=LIMITS)
    assert opaque.value.field == "mask" and "alpha" in opaque.value.message
    with pytest.raises(ValidationFailed) as garbage:
        openai_mask(b"not a picture", limits=LIMITS)
    assert garbage.value.field == "mask"


def test_an_edit_with_a_mask_is_inpaint_and_without_is_i2i() -> None:
    picture = png(Image.new("RGB", (16, 16), "navy"))
    hole = Image.new("RGBA", (32, 32), (0, 0, 0, 255))
    hole.paste((0, 0, 0, 0), (8, 8, 24, 24))
    call = edit_call(
        {"prompt": "add a boat", "model": "anime", "n": "2", "quality": "high"},
        picture,
        png(hole),
        limits=LIMITS,
    )
    body = call.body
    assert (body["type"], body["prompt"], body["style"], body["quality"], body["n"]) == (
        "inpaint",
        "add a boat",
        "anime",
        "hires",
        2,
    )
    assert from_data_url(body["image"]).size == (16, 16)
    mask = np.asarray(from_data_url(body["mask"]))
    assert mask[16, 16] == 255 and mask[0, 0] == 0
    plain = edit_call({"prompt": "add a boat"}, picture, None, limits=LIMITS)
    assert plain.body["type"] == "i2i" and "mask" not in plain.body
    with pytest.raises(ValidationFailed) as no_prompt:
        edit_call({}, picture, None, limits=LIMITS)
    assert no_prompt.value.field == "prompt"
    with pytest.raises(ValidationFailed) as not_a_picture:
        edit_call({"prompt": "add a boat"}, b"%PDF-1.7", None, limits=LIMITS)
    assert not_a_picture.value.field == "image"


def test_a_variation_is_i2i_with_a_fixed_prompt() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(jpeg, "JPEG")
    call = variation_call({"n": "2", "size": "512x512"}, jpeg.getvalue())
    assert call.body["type"] == "i2i" and call.body["prompt"] == VARIATION_PROMPT
    assert call.body["image"].startswith("data:image/jpeg;base64,")
    assert call.body["n"] == 2 and call.size == Size(512, 512)


def test_image_types_are_sniffed_not_trusted() -> None:
    webp = io.BytesIO()
    Image.new("RGB", (8, 8)).save(webp, "WEBP")
    assert sniff_image_type(webp.getvalue()) == "image/webp"
    assert sniff_image_type(png(Image.new("RGB", (8, 8)))) == "image/png"
    assert sniff_image_type(b"GIF89a...") is None


def test_an_adult_style_edit_is_refused_by_the_v1_planner(client: TestClient, key: Key) -> None:
    """Safety line 2 holds for the translated body: the adult style takes no user picture."""
    picture = png(Image.new("RGB", (16, 16), "navy"))
    call = edit_call({"prompt": "a beach selfie", "model": "nude"}, picture, None, limits=LIMITS)
    refused = client.post("/api/v1/generate", json=call.body, headers=key.headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "content_blocked" and refused.json()["field"] == "image"


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_edits_and_variations_carry_output_format(output_format: str) -> None:
    """The engine encodes every kind's images in `output_format`: the image-input bodies say it."""
    picture = png(Image.new("RGB", (16, 16), "navy"))
    fields = {"output_format": output_format, "response_format": "url"}
    edit = edit_call({"prompt": PROMPT, **fields}, picture, None, limits=LIMITS)
    variation = variation_call(fields, picture)
    assert edit.body["output_format"] == variation.body["output_format"] == output_format
    assert edit.response_format == variation.response_format == "url"
