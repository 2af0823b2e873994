"""`output_format` through HTTP: png by default, jpeg and webp on request, provenance in each."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner.provenance import verify
from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}


@pytest.mark.parametrize(
    ("output_format", "media_type", "pil_format"),
    [(None, "image/png", "PNG"), ("jpeg", "image/jpeg", "JPEG"), ("webp", "image/webp", "WEBP")],
)
def test_each_format_is_served_with_its_type_and_full_provenance(
    client: TestClient, key: Key, output_format: str | None, media_type: str, pil_format: str
) -> None:
    body = GOOD if output_format is None else {**GOOD, "output_format": output_format}
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    image = client.get(answer["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == media_type
    assert Image.open(io.BytesIO(image.content)).format == pil_format
    anchors = client.app.state.limner.trust_anchors_pem  # type: ignore[attr-defined]
    found = verify(image.content, trust_anchors_pem=anchors)
    assert found.format == pil_format
    assert found.watermark_id == answer["id"] == found.generation_id
    assert found.c2pa_valid and found.c2pa_trusted and found.ai_generated


def test_a_batch_keeps_its_format_for_every_image(client: TestClient, key: Key) -> None:
    body = {**GOOD, "output_format": "webp", "n": 2}
    answer = client.post("/api/v1/generate", json=body, headers=key.headers).json()
    assert len(answer["images"]) == 2
    for image in answer["images"]:
        served = client.get(image["url"])
        assert served.headers["content-type"] == "image/webp"
        assert verify(served.content).watermark_id == answer["id"]


@pytest.mark.parametrize("value", ["gif", "PNG", 3, None])
def test_an_unknown_format_is_a_validation_error_naming_the_field(
    client: TestClient, key: Key, value: object
) -> None:
    response = client.post(
        "/api/v1/generate", json={**GOOD, "output_format": value}, headers=key.headers
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert payload["field"] == "output_format"
