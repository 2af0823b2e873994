"""The OpenAI surface driven by other real clients at their defaults: LangChain's DALL-E
wrapper (`langchain_community`'s `DallEAPIWrapper`: `dall-e-2` at 1024x1024) and litellm's
`image_generation`, against a live server (docs/openai-compatible.md says the one setting each
needs)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from limner.config import Settings
from tests.conftest import KeyFactory
from tests.support.live_server import free_port, running

PROMPT = "a lighthouse at dusk"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], port: int) -> Settings:
    return settings_factory(public_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def served(app: FastAPI, port: int) -> Iterator[str]:
    with running(app, port=port) as base_url:
        yield base_url


def fetch(url: str) -> Image.Image:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def test_langchain_dalle_wrapper_at_its_defaults(served: str, make_key: KeyFactory) -> None:
    dalle = pytest.importorskip("langchain_community.utilities.dalle_image_generator")
    key = make_key(credits=5)
    wrapper = dalle.DallEAPIWrapper(api_key=key.key, base_url=f"{served}/v1", max_retries=0)
    assert (wrapper.model_name, wrapper.size) == ("dall-e-2", "1024x1024")  # its defaults
    url = wrapper.run(PROMPT)
    assert url.startswith(f"{served}/generations/")
    assert fetch(url).size == (1024, 1024)


def decode(b64: str | None) -> Image.Image:
    assert b64
    return Image.open(io.BytesIO(base64.b64decode(b64)))


@pytest.mark.parametrize("model", ["dall-e-3", "dall-e-2", "openai/dall-e-3"])
def test_litellm_sends_response_format_for_dall_e_names(
    served: str, make_key: KeyFactory, model: str
) -> None:
    litellm = pytest.importorskip("litellm")
    key = make_key(credits=5)
    result = litellm.image_generation(
        model=model,
        prompt=PROMPT,
        api_base=f"{served}/v1",
        api_key=key.key,
        size="1024x1024",
        response_format="b64_json",
    )
    assert decode(result.data[0].b64_json).size == (1024, 1024)


@pytest.mark.parametrize("model", ["gpt-image-1", "openai/realistic", "openai/anime.fast"])
def test_litellm_other_names_take_response_format_as_extra_body(
    served: str, make_key: KeyFactory, model: str
) -> None:
    """litellm refuses `response_format` for these names before sending (its table says the
    model has no such parameter); `extra_body` sends it, and without it the answer is a url."""
    litellm = pytest.importorskip("litellm")
    key = make_key(credits=5)
    options = {"model": model, "prompt": PROMPT, "api_base": f"{served}/v1", "api_key": key.key}
    with pytest.raises(litellm.UnsupportedParamsError):
        litellm.image_generation(**options, response_format="b64_json")
    inline = litellm.image_generation(**options, extra_body={"response_format": "b64_json"})
    assert decode(inline.data[0].b64_json).size == (512, 512)
    linked = litellm.image_generation(**options)
    assert fetch(linked.data[0].url).size == (512, 512)
