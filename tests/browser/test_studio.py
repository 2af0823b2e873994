"""The playground as a studio, in real Chromium: every answer replaces the last result, the result
comes into view, a full-size viewer, the gallery's prompts, videos played in the page, the mask
brush, the character picker, the adult style held back with a picture, a phone-width layout.

`LIMNER_TEST_UPDATE_SCREENSHOT=1` also writes docs/img/playground-desktop.png and
docs/img/playground-phone.png."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_playground import open_with_key, playground


def use_key(page: Any, base_url: str, key: str) -> None:
    """Open the playground with a key that has already spent credits."""
    page.goto(f"{base_url}/playground")
    page.fill("#api-key", key)
    page.click("#key-use")
    expect(page.locator("#account")).to_be_visible()


ROOT = Path(__file__).resolve().parents[2]
HARBOUR = ROOT / "docs" / "samples" / "harbour.jpg"
IMG = ROOT / "docs" / "img"
UPDATE = os.environ.get("LIMNER_TEST_UPDATE_SCREENSHOT") == "1"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page at a phone's width (390 px), touch and all."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


RECORD_UPLOADS = """(() => {
  window.recordedUploads = [];
  const original = window.fetch;
  window.fetch = async (path, options = {}) => {
    if (String(path).endsWith("/api/v1/uploads") && options.body instanceof Blob) {
      const bytes = new Uint8Array(await options.body.arrayBuffer());
      window.recordedUploads.push(btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join("")));
    }
    return original(path, options);
  };
})()"""


#: resolves with the video's duration once Chromium has read the MP4's metadata (an event)
VIDEO_DURATION = """new Promise((resolve) => {
  const video = document.querySelector("#images video");
  if (video.readyState >= 1) resolve(video.duration);
  else video.addEventListener("loadedmetadata", () => resolve(video.duration));
})"""
#: resolves once every image with a source has loaded (the input preview and viewer have none)
IMAGES_LOADED = """Promise.all([...document.images]
  .filter((image) => image.getAttribute("src"))
  .map((image) => image.complete
    ? null
    : new Promise((resolve) => image.addEventListener("load", resolve))))"""


def recorded_uploads(page: Any) -> list[bytes]:
    return [base64.b64decode(each) for each in page.evaluate("window.recordedUploads")]


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the page is {width} px wide"


def test_every_answer_replaces_the_last_result(page: Any, settings_factory, tmp_path: Path) -> None:
    terms = tmp_path / "blocked.txt"
    terms.write_text("zeppelin\n")
    with playground(settings_factory, moderation_blocked_terms_file=terms) as (base_url, key):
        open_with_key(page, base_url, key)
        page.fill("#prompt", "a lighthouse at dusk")
        page.click("#generate")
        expect(page.locator("#images .output img")).to_have_count(1)
        page.fill("#prompt", "a zeppelin over hills")
        page.click("#generate")
        expect(page.locator("#error")).to_have_attribute("data-code", "content_blocked")
        # the refused prompt made nothing: the old image is gone, not left under the error
        expect(page.locator("#images .output")).to_have_count(0)
        expect(page.locator("#images")).to_contain_text("No image")
        page.fill("#prompt", "a lighthouse at dusk")
        page.click("#generate")
        expect(page.locator("#images .output img")).to_have_count(1)
        expect(page.locator("#error")).to_be_hidden()
        # another key: the last key's result, status and gallery go
        page.fill("#api-key", key)
        page.click("#key-use")
        expect(page.locator("#images .output")).to_have_count(0)
        expect(page.locator("#job-status")).to_have_text("idle")


def test_the_viewer_shows_the_image_at_full_size(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        page.fill("#prompt", "a lighthouse at dusk")
        page.click("#generate")
        page.click("#images .output img")
        expect(page.locator("#viewer")).to_be_visible()
        expect(page.locator("#viewer-size")).to_have_text("512 \N{MULTIPLICATION SIGN} 512 px")
        shown = page.evaluate(
            "(() => { const i = document.querySelector('#viewer-image');"
            " return [i.clientWidth, i.clientHeight, i.naturalWidth, i.naturalHeight]; })()"
        )
        assert shown == [512, 512, 512, 512]  # its own pixels, not scaled or cropped
        page.click("#viewer-close")
        expect(page.locator("#viewer")).to_be_hidden()
        # the result tile shows the whole picture too (contain, not a square crop)
        fit = page.evaluate("getComputedStyle(document.querySelector('#images img')).objectFit")
        assert fit == "contain"


def test_the_gallery_shows_prompts(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        headers = {"Authorization": f"Bearer {key}"}
        for prompt in ("a quiet harbour", "a red kite over a field"):
            answer = httpx.post(
                f"{base_url}/api/v1/generate", json={"prompt": prompt}, headers=headers
            )
            assert answer.status_code == 200, answer.text
        use_key(page, base_url, key)
        expect(page.locator("#gallery-grid .tile-prompt")).to_have_text(
            ["a red kite over a field", "a quiet harbour"]
        )
        page.click("#gallery-grid .tile-open >> nth=0")
        expect(page.locator("#viewer")).to_be_visible()


def test_a_video_plays_in_the_page_with_its_mp4(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        page.select_option("#type", "t2v")
        expect(page.locator("#video-options")).to_be_visible()
        expect(page.locator("#n-field")).to_be_hidden()  # a video is one output
        page.fill("#duration", "2")
        expect(page.locator("#cost")).to_have_text("costs 4 credits")
        page.fill("#prompt", "waves on a beach")
        page.click("#generate")
        video = page.locator("#images video")
        expect(video).to_have_count(1)
        src = video.get_attribute("src") or ""
        assert src.endswith(".mp4") and video.get_attribute("controls") is not None
        download = page.locator("#images a[download]")
        expect(download).to_have_text("Download MP4")
        expect(download).to_have_attribute("href", src)
        assert httpx.get(src).headers["content-type"] == "video/mp4"
        # Chromium reads the MP4 itself: its duration is known, so it can play in the page
        assert page.evaluate(VIDEO_DURATION) > 0
        expect(page.locator("#job-status")).to_have_text("completed · 4 credits")
        expect(page.locator("#gallery-grid .tile-video")).to_have_attribute("href", src)


def test_the_mask_brush_sends_a_png_mask(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        # what the page uploads (Playwright does not expose a Blob request body): kept by a
        # wrapper around fetch, read back as base64
        page.evaluate(RECORD_UPLOADS)
        page.select_option("#type", "inpaint")
        page.set_input_files("#input-image", str(HARBOUR))
        canvas = page.locator("#mask-canvas")
        expect(canvas).to_be_visible()  # over the input picture's preview
        expect(page.locator("#input-picture")).to_be_visible()
        box = canvas.bounding_box()
        assert box is not None
        # one stroke across the middle of the picture
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5, steps=8)
        page.mouse.up()
        page.fill("#prompt", "a red boat")
        page.click("#generate")
        expect(page.locator("#job-status")).to_have_text("completed · 1 credit")
        picture, mask = recorded_uploads(page)
        assert picture == HARBOUR.read_bytes()
        drawn = Image.open(io.BytesIO(mask))
        assert drawn.format == "PNG" and drawn.size == (512, 384)
        alpha = drawn.convert("RGBA").getchannel("A")  # a canvas PNG: transparent = repaint
        assert alpha.getpixel((256, 192)) == 0  # painted: repainted
        assert alpha.getpixel((20, 20)) == 255 and alpha.getpixel((256, 20)) == 255  # kept
        assert set(alpha.get_flattened_data()) == {0, 255}
        # cleared, nothing is sent as the mask: the server names the missing field
        page.click("#mask-clear")
        page.click("#generate")
        expect(page.locator("#error")).to_contain_text("mask")
        assert len(recorded_uploads(page)) == 3  # the picture again, no mask


def test_the_character_picker_lists_the_keys_characters(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        headers = {"Authorization": f"Bearer {key}"}
        made = httpx.post(
            f"{base_url}/api/v1/generate", json={"prompt": "a portrait"}, headers=headers
        ).json()
        character = httpx.post(
            f"{base_url}/api/v1/characters",
            json={"name": "Captain Ada", "references": [made["id"]]},
            headers=headers,
        )
        assert character.status_code == 201, character.text
        use_key(page, base_url, key)
        expect(page.locator("#character option")).to_have_text(["none", "Captain Ada · realistic"])
        page.select_option("#character", character.json()["id"])
        page.fill("#prompt", "at the helm of a ship")
        page.click("#generate")
        expect(page.locator("#job-status")).to_contain_text("completed")
        listed = httpx.get(f"{base_url}/api/v1/generations", headers=headers).json()["data"][0]
        assert listed["character"]["name"] == "Captain Ada"


def test_the_adult_style_with_a_picture_is_held_back(page: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        page.select_option("#type", "i2i")
        page.click("text=Adult")
        note = page.locator("#adult-picture-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("takes no uploaded picture")
        expect(page.locator("#generate")).to_be_disabled()
        page.select_option("#type", "t2i")  # no picture: allowed
        expect(note).to_be_hidden()
        expect(page.locator("#generate")).to_be_enabled()
        page.select_option("#type", "inpaint")
        expect(page.locator("#generate")).to_be_disabled()
        page.click("text=Realistic")
        expect(page.locator("#generate")).to_be_enabled()


def test_a_phone_width_page_never_scrolls_sideways(phone: Any, settings_factory) -> None:
    with playground(settings_factory) as (base_url, key):
        phone.goto(f"{base_url}/playground")
        no_sideways_scroll(phone)
        phone.fill("#api-key", key)
        phone.click("#key-use")
        expect(phone.locator("#account-credits")).to_have_text("25")
        no_sideways_scroll(phone)
        phone.select_option("#type", "outpaint")
        phone.click("text=Adult")
        no_sideways_scroll(phone)
        phone.click("text=Realistic")
        phone.select_option("#type", "t2i")
        phone.fill("#prompt", "a lighthouse at dusk")
        phone.click("#generate")
        expect(phone.locator("#images .output img")).to_have_count(1)
        # the result is below the form on a phone: it is brought into view
        expect(phone.locator("#images .output img")).to_be_in_viewport()
        no_sideways_scroll(phone)
        if UPDATE:
            phone.evaluate("window.scrollTo(0, 0)")
            phone.evaluate(IMAGES_LOADED)
            IMG.mkdir(parents=True, exist_ok=True)
            phone.screenshot(path=str(IMG / "playground-phone.png"), full_page=True)


@pytest.mark.skipif(not UPDATE, reason="writes docs/img (LIMNER_TEST_UPDATE_SCREENSHOT=1)")
def test_desktop_screenshot(browser: Any, settings_factory) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        with playground(settings_factory) as (base_url, key):
            headers = {"Authorization": f"Bearer {key}"}
            for prompt in ("a quiet harbour at dawn", "a red kite over a field"):
                httpx.post(f"{base_url}/api/v1/generate", json={"prompt": prompt}, headers=headers)
            use_key(page, base_url, key)
            page.select_option("#type", "inpaint")
            page.set_input_files("#input-image", str(HARBOUR))
            box = page.locator("#mask-canvas").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.78)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.78, steps=6)
            page.mouse.up()
            page.fill("#prompt", "a red boat")
            page.click("#generate")
            expect(page.locator("#job-status")).to_contain_text("completed")
            page.evaluate("window.scrollTo(0, 0)")
            page.evaluate(IMAGES_LOADED)
            IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMG / "playground-desktop.png"), full_page=True)
    finally:
        context.close()


def test_a_refusal_that_names_its_rule_is_shown_in_its_words(page: Any, settings_factory) -> None:
    """What the playground says for the server's refusal of an adult-style picture (the form
    holds that request back; an API client's answer is the same body)."""
    with playground(settings_factory) as (base_url, key):
        open_with_key(page, base_url, key)
        body = httpx.post(
            f"{base_url}/api/v1/generate",
            json={"prompt": "a beach", "type": "i2i", "style": "nude", "image": "upl_abcdefgh"},
            headers={"Authorization": f"Bearer {key}"},
        ).json()
        assert body["error"] == "content_blocked" and body["field"] == "image"
        words = page.evaluate(
            "async (body) => (await import('/playground/assets/js/errors.js'))"
            ".plainWords(403, body)",
            body,
        )
        assert words["title"].startswith("The adult style ('nude') takes no uploaded")
        assert "gen_ id" in words["title"] and "content moderation" not in words["title"]
        generic = page.evaluate(
            "async () => (await import('/playground/assets/js/errors.js')).plainWords(403, "
            "{error: 'content_blocked', field: 'prompt', message: 'The request was blocked by "
            "content moderation (prompt). Please revise it and try again.'})"
        )
        assert generic["title"].startswith("The prompt was refused by content moderation")
