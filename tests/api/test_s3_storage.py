"""Images in S3-compatible storage: moto's S3 server on loopback stands in for MinIO or AWS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from limner.config import Settings
from limner.errors import ConfigurationError, NotFound
from limner.ids import new_image_token
from limner.storage import create_image_store
from limner.storage.s3 import S3ImageStore, S3Location, StorageUnavailable
from tests.conftest import Key
from tests.support.live_server import free_port

boto3 = pytest.importorskip("boto3", reason="the s3 extra is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

BUCKET = "limner-images"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], s3_endpoint: str) -> Settings:
    return settings_factory(
        storage_url=f"s3://{BUCKET}/prod/images", s3_endpoint_url=s3_endpoint, s3_region="us-east-1"
    )


def generate(client: TestClient, key: Key) -> str:
    response = client.post(
        "/api/v1/generate", json={"prompt": "a lighthouse at dusk"}, headers=key.headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["image_url"]).removeprefix("http://testserver")


def test_images_go_to_the_bucket_and_are_proxied(
    client: TestClient, key: Key, settings: Settings, s3_endpoint: str
) -> None:
    path = generate(client, key)
    token = path.rsplit("/", 1)[1].removesuffix(".png")
    listing = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=BUCKET)
    assert [item["Key"] for item in listing["Contents"]] == [f"prod/images/{token[:2]}/{token}.png"]
    assert not settings.images_dir.exists()  # nothing on local disk

    image = client.get(path)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"


def test_presigned_delivery_redirects_to_the_store(
    settings_factory: Callable[..., Settings], s3_endpoint: str, tmp_path: Path
) -> None:
    from limner.api import create_app
    from limner.keys import create_key

    settings = settings_factory(
        storage_url=f"s3://{BUCKET}",
        s3_endpoint_url=s3_endpoint,
        image_delivery="presigned",
        presigned_url_ttl_s=600,
    )
    app = create_app(settings)
    with app.state.limner.database.transaction() as session:
        issued = create_key(session=session)
    with TestClient(app) as client:
        path = generate(client, Key(issued.key, issued.prefix, issued.account_id))
        redirect = client.get(path, follow_redirects=False)
    assert redirect.status_code == 307
    location = redirect.headers["location"]
    assert location.startswith(f"{s3_endpoint}/{BUCKET}/") and "Expires=" in location
    fetched = httpx.get(location)
    assert fetched.status_code == 200 and fetched.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_store_errors_are_limner_errors(s3_endpoint: str) -> None:
    store = S3ImageStore(S3Location(BUCKET, ""), endpoint_url=s3_endpoint)
    token = new_image_token()
    with pytest.raises(NotFound):
        store.get(token, "image/png")
    store.put(token, b"png", "image/png")
    assert store.get(token, "image/png").data == b"png"
    store.delete(token, "image/png")
    with pytest.raises(NotFound):
        store.get(token, "image/png")
    missing = S3ImageStore(S3Location("no-such-bucket", "x"), endpoint_url=s3_endpoint)
    with pytest.raises(StorageUnavailable):
        missing.check()


@pytest.mark.parametrize("url", ["s3:/bucket", "s3://", "gs://bucket/x", "bucket/prefix"])
def test_bad_storage_urls_are_refused(url: str, settings_factory: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigurationError, match="LIMNER_STORAGE_URL"):
        create_image_store(settings_factory(storage_url=url))


def test_the_bucket_lists_its_objects_for_the_sweep(s3_endpoint: str) -> None:
    from datetime import timedelta

    from limner.clock import utcnow

    store = S3ImageStore(S3Location(BUCKET, "swept/images"), endpoint_url=s3_endpoint)
    image, video = new_image_token(), new_image_token()
    store.put(image, b"png", "image/png")
    store.put(video, b"mp4", "video/mp4")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.put_object(Bucket=BUCKET, Key="swept/images/not-ours.txt", Body=b"x")
    listed = {(info.token, info.media_type) for info in store.list_objects()}
    assert listed == {(image, "image/png"), (video, "video/mp4")}
    for info in store.list_objects():
        assert abs(info.modified_at - utcnow()) < timedelta(hours=1)
