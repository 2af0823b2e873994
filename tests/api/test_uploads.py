"""`/api/v1/uploads` over HTTP: formats, limits, metadata stripped, ownership, expiry."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from limner.config import Settings
from limner.db.tables import MediaObject
from tests.conftest import Key, KeyFactory


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    image.paste((0, 0, 255), (0, 0, 8, 8))  # a marker, to see where the top-left corner went
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(client: TestClient, key: Key, data: bytes, media_type: str = "image/png") -> dict:
    response = client.post(
        "/api/v1/uploads",
        files={"file": ("picture", data, media_type)},
        headers=key.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_multipart_upload_of_each_format(
    client: TestClient, key: Key, fmt: str, media_type: str
) -> None:
    body = upload(client, key, picture(fmt), media_type)
    assert body["id"].startswith("upl_")
    assert (body["width"], body["height"]) == (64, 48)
    assert set(body) == {"id", "width", "height", "sha256", "expires_at"}
    assert body["expires_at"].endswith("Z")
    again = client.get(f"/api/v1/uploads/{body['id']}", headers=key.headers)
    assert again.status_code == 200 and again.json() == body


def test_raw_body_upload_with_its_content_type(client: TestClient, key: Key) -> None:
    response = client.post(
        "/api/v1/uploads",
        content=picture("JPEG"),
        headers={**key.headers, "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["width"] == 64


def test_metadata_is_stripped_and_orientation_applied(
    client: TestClient, key: Key, app: FastAPI
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {2: (52.0, 31.0, 12.0)}  # GPS latitude
    source = picture("JPEG", size=(64, 48), exif=exif.tobytes(), comment=b"private note")
    assert b"CameraMaker" in source
    body = upload(client, key, source, "image/jpeg")
    assert (body["width"], body["height"]) == (48, 64)  # turned upright

    context = app.state.limner
    with context.database.read() as session:
        row = session.get(MediaObject, body["id"])
        assert row is not None and row.account_id == key.account_id and row.kind == "upload"
        stored = context.store.get(row.token, row.media_type).data
    assert hashlib.sha256(stored).hexdigest() == body["sha256"]
    assert b"CameraMaker" not in stored and b"private note" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert "comment" not in image.info and "exif" not in image.info
        # the marker pixel of the top-left corner is now at the top-right (rotated clockwise)
        red, _green, blue = image.convert("RGB").getpixel((44, 3))  # type: ignore[misc]
        assert blue > 150 and red < 100


def test_png_text_chunks_and_icc_profile_are_dropped(
    client: TestClient, key: Key, app: FastAPI
) -> None:
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone private")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    body = upload(client, key, picture("PNG", pnginfo=info, icc_profile=icc))
    context = app.state.limner
    with context.database.read() as session:
        row = session.get(MediaObject, body["id"])
        assert row is not None
        stored = context.store.get(row.token, row.media_type).data
    assert b"someone private" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert "icc_profile" not in image.info and "Author" not in image.info


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"plain text, not a picture",
        picture("GIF"),
        picture("BMP", size=(16, 16)),
        picture("PNG")[:60],
    ],
    ids=["empty", "text", "gif", "bmp", "truncated"],
)
def test_not_a_supported_picture_is_a_validation_error(
    client: TestClient, key: Key, data: bytes
) -> None:
    response = client.post(
        "/api/v1/uploads", files={"file": ("x", data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == "file"


def test_missing_file_field_is_a_validation_error(client: TestClient, key: Key) -> None:
    response = client.post("/api/v1/uploads", data={"other": "value"}, headers=key.headers)
    assert response.status_code == 400
    assert (response.json()["error"], response.json()["field"]) == ("validation_error", "file")


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(max_upload_bytes=4096, max_upload_pixels=100 * 100)


def test_over_the_byte_limit_is_413(client: TestClient, key: Key) -> None:
    noisy = Image.frombytes("RGB", (60, 60), random.Random(7).randbytes(60 * 60 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 4096
    for kwargs in (
        {"files": {"file": ("x.png", buffer.getvalue(), "image/png")}},
        {"content": buffer.getvalue(), "headers": {"Content-Type": "image/png"}},
    ):
        headers = {**key.headers, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        response = client.post("/api/v1/uploads", headers=headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 413, response.text
        assert response.json() == {
            "error": "payload_too_large",
            "message": "The request body is larger than 4096 bytes.",
            "limit_bytes": 4096,
        }


def test_over_the_pixel_limit_is_a_validation_error(client: TestClient, key: Key) -> None:
    data = picture("PNG", size=(101, 100))
    assert len(data) < 4096  # small in bytes, too large in pixels
    response = client.post(
        "/api/v1/uploads", files={"file": ("x.png", data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["field"]) == ("validation_error", "file")
    assert "pixels" in body["message"]


def test_uploads_belong_to_their_key(client: TestClient, key: Key, make_key: KeyFactory) -> None:
    mine = upload(client, key, picture())
    other = make_key()
    unknown = client.get("/api/v1/uploads/upl_doesnotexist0000", headers=other.headers)
    theirs = client.get(f"/api/v1/uploads/{mine['id']}", headers=other.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"] == "not_found"
    assert client.delete(f"/api/v1/uploads/{mine['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/uploads/{mine['id']}", headers=key.headers).status_code == 200


def test_delete_removes_the_row_and_the_bytes(client: TestClient, key: Key, app: FastAPI) -> None:
    body = upload(client, key, picture())
    context = app.state.limner
    with context.database.read() as session:
        row = session.get(MediaObject, body["id"])
        assert row is not None
        token, media_type = row.token, row.media_type
    assert client.delete(f"/api/v1/uploads/{body['id']}", headers=key.headers).status_code == 204
    assert client.get(f"/api/v1/uploads/{body['id']}", headers=key.headers).status_code == 404
    assert token not in {info.token for info in context.store.list_objects()}
    assert (token, media_type) not in {
        (i.token, i.media_type) for i in context.store.list_objects()
    }


def test_an_expired_upload_is_not_found(client: TestClient, key: Key, app: FastAPI) -> None:
    body = upload(client, key, picture())
    context = app.state.limner
    with context.database.transaction() as session:
        row = session.get(MediaObject, body["id"])
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
    assert client.get(f"/api/v1/uploads/{body['id']}", headers=key.headers).status_code == 404


def test_uploads_need_a_key(client: TestClient) -> None:
    response = client.post(
        "/api/v1/uploads", content=picture(), headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "missing_api_key"


def test_openapi_documents_uploads(client: TestClient) -> None:
    from openapi_spec_validator import validate

    schema = client.get("/openapi.json").json()
    validate(schema)
    create = schema["paths"]["/api/v1/uploads"]["post"]
    assert set(create["requestBody"]["content"]) == {
        "multipart/form-data",
        "image/png",
        "image/jpeg",
        "image/webp",
    }
    assert create["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    created = create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created == "#/components/schemas/UploadPublic"
    assert set(schema["components"]["schemas"]["UploadPublic"]["required"]) == {
        "id",
        "width",
        "height",
        "sha256",
        "expires_at",
    }
    for status in ("400", "401", "413", "429"):
        assert status in create["responses"], status
    item = schema["paths"]["/api/v1/uploads/{upload_id}"]
    assert "404" in item["get"]["responses"] and "204" in item["delete"]["responses"]


def test_an_idempotency_key_replays_the_first_upload(client: TestClient, key: Key) -> None:
    headers = {**key.headers, "Idempotency-Key": "upload-1"}
    first = client.post(
        "/api/v1/uploads", files={"file": ("a.png", picture(), "image/png")}, headers=headers
    )
    again = client.post(
        "/api/v1/uploads", files={"file": ("a.png", picture(), "image/png")}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        "/api/v1/uploads", files={"file": ("b.png", picture("JPEG"), "image/jpeg")}, headers=headers
    )
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
