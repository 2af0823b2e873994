"""Hardening II (issue 26) through HTTP: numbers of thousands of digits in a `Range` header and in
the OpenAI multipart forms, large bodies (depth still refused, the media limit per type, a
large body of thousands of values), a 405's `Allow`, the schema and the validation agreeing on
`Idempotency-Key`, `input_fidelity` and video sizes, and error messages that show what the client
sent."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.test_video import funded, png_data_url  # noqa: F401 - the fixture
from tests.conftest import Key
from tests.support.events import wait_finished

PROMPT = "a lighthouse at dusk"
HUGE = "9" * 4_301  # past the 4300 digits Python's int() converts


def credits(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def image_url(client: TestClient, key: Key) -> str:
    made = client.post("/api/v1/generate", json={"prompt": PROMPT}, headers=key.headers)
    assert made.status_code == 200, made.text
    return str(made.json()["image_url"])


# -- item 4: Range (RFC 9110 14.1.2) and the multipart n ----------------------------------------


def test_a_range_starting_past_any_file_is_416(client: TestClient, image_url: str) -> None:
    size = len(client.get(image_url).content)
    for header in (f"bytes={HUGE}-", f"bytes={HUGE}-{HUGE}9", f"bytes=000{HUGE}-"):
        response = client.get(image_url, headers={"Range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}"


def test_a_huge_last_byte_or_suffix_means_to_the_end(client: TestClient, image_url: str) -> None:
    whole = client.get(image_url).content
    tail = client.get(image_url, headers={"Range": f"bytes=10-{HUGE}"})
    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes 10-{len(whole) - 1}/{len(whole)}"
    assert tail.content == whole[10:]
    # a suffix longer than the file selects all of it (RFC 9110 14.1.3)
    suffix = client.get(image_url, headers={"Range": f"bytes=-{HUGE}"})
    assert suffix.status_code == 206 and suffix.content == whole


def test_a_huge_range_with_last_before_first_is_ignored(client: TestClient, image_url: str) -> None:
    response = client.get(image_url, headers={"Range": f"bytes={HUGE}9-{HUGE}"})
    assert response.status_code == 200 and "content-range" not in response.headers


def png_file() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("path", ["/v1/images/edits", "/v1/images/variations"])
@pytest.mark.parametrize("n", [HUGE, "4" * 60_000, "²"])
def test_an_n_of_thousands_of_digits_in_a_form_is_400(
    client: TestClient, key: Key, path: str, n: str
) -> None:
    fields = {"n": n, **({"prompt": PROMPT} if path.endswith("edits") else {})}
    response = client.post(
        path, data=fields, files={"image": ("a.png", png_file(), "image/png")}, headers=key.headers
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "n" and error["type"] == "invalid_request_error"
    assert credits(client, key) == 5


# -- item 6: large bodies ------------------------------------------------------------------------


def large_body(kind: str, *, filler: int = 80 * 1024, **extra: Any) -> dict[str, Any]:
    """A body past the plain 64 KiB limit: an image-input type carries a data URL that large."""
    body: dict[str, Any] = {"prompt": PROMPT, "type": kind, **extra}
    body["image"] = png_data_url() + "A" * filler if kind != "t2i" else "x" * filler
    return body


def test_a_large_body_of_a_text_type_is_413(client: TestClient, key: Key) -> None:
    response = client.post("/api/v1/generate", json=large_body("t2i"), headers=key.headers)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"


def test_a_large_body_of_an_image_type_is_read_and_checked(client: TestClient, key: Key) -> None:
    """Past 64 KiB, an `i2i` body is parsed (off the event loop) and its fields checked: the
    padded data URL is then refused as a picture, not as a size."""
    response = client.post("/api/v1/generate", json=large_body("i2i"), headers=key.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error" and response.json()["field"] == "image"


@pytest.mark.parametrize("kind", ["i2i", "t2i"])
def test_deep_nesting_in_a_large_body_is_still_refused(
    client: TestClient, key: Key, kind: str
) -> None:
    text = json.dumps(large_body(kind))
    deep = text[:-1] + ', "seed": ' + "[" * 40 + "1" + "]" * 40 + "}"
    response = client.post("/api/v1/generate", content=deep.encode(), headers=key.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "nested deeper than 32" in response.json()["message"]
    assert credits(client, key) == 5


@pytest.mark.parametrize("kind", ["i2i", "t2i"])
def test_a_large_body_of_thousands_of_values_is_refused_unparsed(
    client: TestClient, key: Key, kind: str
) -> None:
    body = large_body(kind, filler=0, seed=1)
    body["references"] = [{"a": index} for index in range(20_000)]
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert "brackets, commas and colons" in response.json()["message"]


def test_a_deep_but_unbalanced_body_is_invalid_json(client: TestClient, key: Key) -> None:
    response = client.post("/api/v1/generate", content=b'{"prompt": [}', headers=key.headers)
    assert response.status_code == 400
    assert response.json()["message"] == "The request body is not valid JSON."


# -- item 10: Allow, the schema and the validation agreeing, messages --------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/webhook-secret", "GET, POST"),
        ("POST", "/api/v1/generations/gen_aaaaaaaaaaaaaaaa", "GET, DELETE"),
        ("GET", "/api/v1/generate", "POST"),
        ("DELETE", "/v1/images/edits", "POST"),
    ],
)
def test_a_405_allows_every_method_of_the_path(
    client: TestClient, key: Key, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=key.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


def key_parameter(client: TestClient, path: str) -> dict[str, Any]:
    operation = client.get("/openapi.json").json()["paths"][path]["post"]
    return next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")


@pytest.mark.parametrize("path", ["/api/v1/generate", "/v1/images/generations", "/v1/images/edits"])
def test_the_idempotency_key_schema_says_what_the_server_takes(
    client: TestClient, key: Key, path: str
) -> None:
    schema = key_parameter(client, path)["schema"]
    pattern = re.compile(schema["pattern"])
    candidates = ["order-17", "a b", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}", "x" * 255, "x" * 256]
    candidates += ["a\tb", "é", "tab\t", "a\x7fb"]
    for candidate in candidates:
        allowed = bool(pattern.fullmatch(candidate)) and len(candidate) <= schema["maxLength"]
        headers = {**key.headers, "Idempotency-Key": candidate.encode("utf-8")}
        # a cancel of no generation: 404 once the key is taken, 400 naming the key if not
        response = client.post(
            "/api/v1/generations/gen_aaaaaaaaaaaaaaaa/cancel",
            headers=headers,  # type: ignore[arg-type]
        )
        assert response.status_code == (404 if allowed else 400), (candidate, response.text)


def test_input_fidelity_is_not_in_the_schema_and_is_refused(client: TestClient, key: Key) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert all(
        "input_fidelity" not in schema.get("properties", {}) for schema in components.values()
    )
    response = client.post(
        "/v1/images/generations",
        json={"prompt": PROMPT, "input_fidelity": "high"},
        headers=key.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_parameter"
    assert response.json()["error"]["param"] == "input_fidelity"


def test_an_fps_error_shows_what_the_client_sent(client: TestClient, funded: Key) -> None:  # noqa: F811
    over = client.post(
        "/api/v1/generate",
        json={"prompt": PROMPT, "type": "t2v", "fps": 100},
        headers=funded.headers,
    )
    assert over.status_code == 400 and "but is 100" in over.json()["message"]
    huge = '{"prompt": "a lighthouse at dusk", "type": "t2v", "fps": ' + "7" * 60 + "}"
    refused = client.post("/api/v1/generate", content=huge.encode(), headers=funded.headers)
    assert refused.status_code == 400 and refused.json()["field"] == "fps"
    # the number a huge one is parsed as (1 and 40 zeros) is never shown as if it were sent
    assert "0000000000" not in refused.json()["message"]


def test_the_documented_1280x720_video_is_made_on_the_patch_grid(
    client: TestClient,
    funded: Key,  # noqa: F811
) -> None:
    body = {"prompt": PROMPT, "type": "t2v", "duration_s": 1, "fps": 2, "width": 1280}
    queued = client.post("/api/v1/generate", json={**body, "height": 720}, headers=funded.headers)
    assert queued.status_code == 202, queued.text
    made = wait_finished(client, queued.json()["id"], funded.headers)
    assert made["status"] == "completed", made
    assert (made["width"], made["height"]) == (1280, 704)
    off_grid = client.post("/api/v1/generate", json={**body, "height": 716}, headers=funded.headers)
    assert off_grid.status_code == 400 and off_grid.json()["field"] == "height"
    assert "multiple of 8" in off_grid.json()["message"]


@pytest.mark.parametrize("path", ["/api/v1/generations", "/api/v1/characters"])
def test_a_cursor_of_the_schemas_form_is_never_a_400(
    client: TestClient, key: Key, path: str
) -> None:
    """The schema's `pattern` is what a 400 refuses; a well-formed cursor that names no row of
    the caller's (another key's, or one deleted since) is a 404, not a validation error."""
    parameter = next(
        p
        for p in client.get("/openapi.json").json()["paths"][path]["get"]["parameters"]
        if p["name"] == "cursor"
    )
    pattern = re.compile(parameter["schema"]["anyOf"][0]["pattern"])
    prefix = "gen_" if "generations" in path else "chr_"
    well_formed = prefix + "a2" * 8
    assert pattern.fullmatch(well_formed)
    unknown = client.get(path, params={"cursor": well_formed}, headers=key.headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    malformed = client.get(path, params={"cursor": prefix + "A" * 16}, headers=key.headers)
    assert not pattern.fullmatch(prefix + "A" * 16)
    assert malformed.status_code == 400 and malformed.json()["field"] == "cursor"
