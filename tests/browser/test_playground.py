"""The playground in a real browser: paste a key, generate, see the image, a refusal, a cancel."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from tests.support.live_server import free_port, running

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "playground.png"


@contextmanager
def playground(
    settings_factory: Callable[..., Settings], plan: str = "free", **overrides: object
) -> Iterator[tuple[str, str]]:
    """A live server; yields (base URL, a key with 20 granted credits)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings_factory(public_url=base_url, **overrides))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, plan=plan, name="browser")
        ledger.grant(session=session, account_id=issued.account_id, amount=20)
    with running(app, port=port):
        yield base_url, issued.key


def open_with_key(page: Any, base_url: str, key: str) -> None:
    page.goto(f"{base_url}/")  # `/` leads to the playground
    expect(page).to_have_url(f"{base_url}/playground")
    page.fill("#api-key", key)
    page.click("#key-use")
    expect(page.locator("#account-credits")).to_have_text("25")  # 5 daily + 20 granted
    expect(page.locator("#account-test")).to_be_hidden()  # a live key


def test_a_test_key_shows_test_mode(page: Any, settings_factory) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings_factory(public_url=base_url))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session, name="browser", test=True)
    with running(app, port=port):
        page.goto(f"{base_url}/playground")
        page.fill("#api-key", issued.key)
        page.click("#key-use")
        expect(page.locator("#account-test")).to_be_visible()
        expect(page.locator("#account-test")).to_have_text("test mode")
        page.fill("#prompt", "a lighthouse at dusk")
        page.click("#generate")
        expect(page.locator("#job-status")).to_have_text("completed · 0 credits")


def test_generate_shows_the_image_credits_and_headers(
    page: Any, settings_factory, tmp_path: Path
) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        page.fill("#prompt", "a lighthouse at dusk")
        page.click("#generate")

        image = page.locator("#images .output img").first
        expect(image).to_be_visible()
        page.wait_for_function("document.querySelector('#images .output img').naturalWidth === 512")
        expect(page.locator("#job-status")).to_have_text("completed · 1 credit")
        expect(page.locator("#account-credits")).to_have_text("24")
        expect(page.locator('#response-info dd[data-name="request id"]')).to_have_text(
            lambda_nonempty()
        )
        expect(page.locator('#response-info dd[data-name="requests left"]')).to_contain_text("of")
        expect(page.locator("#gallery-grid .tile")).to_have_count(1)
        download = page.locator("#images .output a[download]")
        expect(download).to_have_attribute("href", image.get_attribute("src"))
        # the verify drop zone recognises the image as this server's
        png = tmp_path / "made-here.png"
        png.write_bytes(httpx.get(image.get_attribute("src")).content)
        page.set_input_files("#verify-file", str(png))
        expect(page.locator("#verify-result .verdict")).to_contain_text(
            "Made by this server: generation gen_"
        )
        # the key lives in this tab's session storage only
        assert page.evaluate("sessionStorage.getItem('limner.apiKey')") == key
        assert page.evaluate("localStorage.length") == 0

        if os.environ.get("LIMNER_TEST_UPDATE_SCREENSHOT") == "1":
            page.fill("#prompt", "a harbour in the fog, two variations")
            page.fill("#n", "2")
            page.click("#generate")
            expect(page.locator("#images .output img")).to_have_count(2)
            expect(page.locator("#gallery-grid .tile")).to_have_count(2)
            # the images with a source (the input preview and the viewer have none)
            page.wait_for_function(
                "[...document.images].filter((image) => image.getAttribute('src'))"
                ".every((image) => image.complete && image.naturalWidth)"
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)


def lambda_nonempty() -> Any:
    import re

    return re.compile(r"^[0-9a-f]{32}$")


def test_a_refusal_is_shown_in_plain_words(page: Any, settings_factory, tmp_path: Path) -> None:
    terms = tmp_path / "blocked.txt"
    terms.write_text("zeppelin\n")
    with playground(settings_factory, moderation_blocked_terms_file=terms) as (base_url, key):
        open_with_key(page, base_url, key)
        page.fill("#prompt", "a zeppelin over hills")
        page.click("#generate")
        error = page.locator("#error")
        expect(error).to_be_visible()
        expect(error).to_have_attribute("data-code", "content_blocked")
        expect(error).to_contain_text("prompt was refused by content moderation")
        expect(page.locator("#account-credits")).to_have_text("25")  # refusals cost nothing


def test_an_invalid_key_is_explained(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, _key):
        page.goto(f"{base_url}/playground")
        page.fill("#api-key", "lmn_00000000_not-a-real-key")
        page.click("#key-use")
        expect(page.locator("#error")).to_have_attribute("data-code", "invalid_api_key")
        expect(page.locator("#error")).to_contain_text("not valid or has been revoked")


def test_cancel_a_queued_job(page: Any, settings_factory) -> None:
    # no queue workers: the job stays queued until the cancel button stops it
    with playground(settings_factory, queue_workers=0) as (base_url, key):
        open_with_key(page, base_url, key)
        page.fill("#prompt", "a quiet library")
        page.click("#generate")
        expect(page.locator("#job-status")).to_have_text("queued")
        page.click("#cancel")
        expect(page.locator("#job-status")).to_have_text("canceled · not charged")
        expect(page.locator("#gallery-grid .tile.status-canceled")).to_have_count(1)
        expect(page.locator("#account-credits")).to_have_text("25")


def test_the_adult_options_and_caption_preview(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        expect(page.locator("#adult-options")).to_be_hidden()
        page.click("text=Adult")
        expect(page.locator("#adult-options")).to_be_visible()
        page.check("#caption-on")
        page.fill("#caption-text", "sunday mood")
        page.select_option("#caption-position", "top")
        expect(page.locator("#caption-bar")).to_have_text("sunday mood")
        expect(page.locator("#caption-bar")).to_have_class("caption-bar pos-top")
        page.click("text=Realistic")
        expect(page.locator("#adult-options")).to_be_hidden()


def test_api_reference_pages_load_offline(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, _key):
        requested: list[str] = []
        # what the pages need to work; ReDoc's decorative "powered by" logo is an <img> elsewhere
        needed = ("document", "script", "stylesheet", "font", "fetch", "xhr")
        page.on(
            "request",
            lambda request: (
                requested.append(request.url) if request.resource_type in needed else None
            ),
        )
        page.goto(f"{base_url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Limner")
        page.goto(f"{base_url}/redoc")
        expect(page.locator("h1").first).to_contain_text("Limner")
        outside = [url for url in requested if not url.startswith((base_url, "data:", "blob:"))]
        assert outside == []


def test_the_gallery_pages_through_the_generations(page: Any, settings_factory) -> None:
    with playground(settings_factory, plan="pro") as (base_url, key):
        headers = {"Authorization": f"Bearer {key}"}
        for index in range(13):  # one more than a page
            body = {"prompt": f"a lighthouse, study {index}", "seed": index}
            answer = httpx.post(f"{base_url}/api/v1/generate", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
        page.goto(f"{base_url}/playground")
        page.fill("#api-key", key)
        page.click("#key-use")
        tiles = page.locator("#gallery-grid .tile")
        expect(tiles).to_have_count(12)
        newest = tiles.first.get_attribute("data-id")
        expect(page.locator("#page-newer")).to_be_disabled()
        page.click("#page-older")
        expect(tiles).to_have_count(1)
        expect(page.locator("#page-older")).to_be_disabled()
        page.click("#page-newer")
        expect(tiles).to_have_count(12)
        expect(tiles.first).to_have_attribute("data-id", newest or "")
