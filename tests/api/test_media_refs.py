"""`resolve_media_ref` on a real app's database and store: uploads and generations made over HTTP,
inline data URLs, and https:// URLs fetched from a real TLS server through the outbound guard."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from limner.db.tables import MediaObject
from limner.errors import PayloadTooLarge, UnsafeWebhookTarget, ValidationFailed
from limner.media import InputImage, MediaFetcher, MediaSources, RefSource, resolve_media_ref
from limner.webhooks.ssrf import IPAddress
from tests.conftest import Key, KeyFactory
from tests.support.tls import TlsFiles, running_https, self_signed

NOT_YOURS = "image: no such upload or generation for this key"


def png(size: tuple[int, int] = (48, 36), colour: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def sources(app: FastAPI) -> MediaSources:
    context = app.state.limner
    return MediaSources.from_settings(
        context.settings, database=context.database, store=context.store
    )


def resolve(ref: str, key: Key, sources: MediaSources, field: str = "image") -> InputImage:
    return resolve_media_ref(ref, owner=key.account_id, field=field, sources=sources)


def refused(ref: str, key: Key, sources: MediaSources, field: str = "image") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        resolve(ref, key, sources, field)
    assert caught.value.field == field
    return caught.value


def upload(client: TestClient, key: Key, data: bytes) -> str:
    response = client.post(
        "/api/v1/uploads", files={"file": ("p.png", data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def generate(client: TestClient, key: Key, n: int = 1) -> dict:
    response = client.post(
        "/api/v1/generate",
        json={"prompt": "a lighthouse at dusk", "n": n, "seed": 5},
        headers=key.headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_upload_of_the_key(client: TestClient, key: Key, sources: MediaSources) -> None:
    upload_id = upload(client, key, png())
    resolved = resolve(upload_id, key, sources)
    assert resolved.source is RefSource.upload and resolved.ref_id == upload_id
    assert resolved.image.size == (48, 36) and resolved.user_supplied
    assert resolved.image.convert("RGB").getpixel((3, 3)) == (10, 200, 30)
    meta = client.get(f"/api/v1/uploads/{upload_id}", headers=key.headers).json()
    assert resolved.sha256 == meta["sha256"]


def test_the_resolver_callable_answers_the_picture(
    client: TestClient, key: Key, sources: MediaSources
) -> None:
    from limner.media import MediaResolver
    from limner.service import AccountRef

    resolver = MediaResolver(sources)
    account = AccountRef(id=key.account_id, key_prefix=key.prefix, plan="free")
    upload_id = upload(client, key, png())
    assert resolver(upload_id, field="image", account=account).size == (48, 36)
    assert resolver.resolve(upload_id, field="image", account=account).user_supplied
    with pytest.raises(ValidationFailed) as caught:
        resolver("upl_unknownunknown00", field="mask", account=account)
    assert caught.value.message == "mask: no such upload or generation for this key"


def test_unknown_expired_and_foreign_refs_are_worded_alike(
    client: TestClient, key: Key, make_key: KeyFactory, sources: MediaSources, app: FastAPI
) -> None:
    other = make_key(credits=5)
    theirs_upload = upload(client, other, png())
    theirs_generation = generate(client, other)["id"]
    expired = upload(client, key, png())
    with app.state.limner.database.transaction() as session:
        row = session.get(MediaObject, expired)
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
    messages = {
        refused(ref, key, sources).message
        for ref in (
            theirs_upload,
            theirs_generation,
            f"{theirs_generation}#1",
            expired,
            "upl_unknownunknown00",
            "gen_unknownunknown00",
            "gen_NOT-AN-ID",
        )
    }
    assert messages == {NOT_YOURS}


def test_a_generation_of_the_key_and_its_numbered_images(
    client: TestClient, make_key: KeyFactory, sources: MediaSources
) -> None:
    key = make_key(credits=5)
    made = generate(client, key, n=2)
    first = resolve(made["id"], key, sources)
    also_first = resolve(f"{made['id']}#1", key, sources)
    second = resolve(f"{made['id']}#2", key, sources, field="mask")
    assert first.source is RefSource.generation and not first.user_supplied
    assert first.sha256 == also_first.sha256 != second.sha256
    assert first.image.size == (512, 512)
    served = client.get(made["images"][1]["url"].removeprefix("http://testserver")).content
    assert second.data == served
    assert refused(f"{made['id']}#3", key, sources, field="mask").message == (
        "mask: no such upload or generation for this key"
    )


def test_a_failed_generation_is_not_a_reference(
    client: TestClient, key: Key, sources: MediaSources
) -> None:
    response = client.post(
        "/api/v1/generate", json={"prompt": "a lighthouse at dusk"}, headers=key.headers
    )
    assert response.status_code == 200  # the free key's daily credits
    generation_id = response.json()["id"]
    with sources.database.transaction() as session:
        from limner.db.tables import Generation

        row = session.get(Generation, generation_id)
        assert row is not None
        row.status = "failed"
    assert refused(generation_id, key, sources).message == NOT_YOURS


def test_data_urls(key: Key, sources: MediaSources) -> None:
    encoded = base64.b64encode(png()).decode()
    resolved = resolve(f"data:image/png;base64,{encoded}", key, sources)
    assert resolved.source is RefSource.data and resolved.image.size == (48, 36)
    assert "validation" in refused("data:text/plain;base64,aGVsbG8=", key, sources).code
    assert "base64" in refused("data:image/png;base64,@@@@", key, sources).message
    text = base64.b64encode(b"not a picture").decode()
    assert "PNG, JPEG or WebP" in refused(f"data:image/png;base64,{text}", key, sources).message


def test_a_data_url_past_the_byte_limit(key: Key, sources: MediaSources) -> None:
    limit = sources.limits.max_bytes
    with pytest.raises(PayloadTooLarge):
        resolve("data:image/png;base64," + "A" * (limit // 3 * 4 + 16), key, sources)


def test_anything_else_is_refused(key: Key, sources: MediaSources) -> None:
    for ref in ("http://example.com/a.png", "ftp://x/y", "file:///etc/passwd", "lighthouse"):
        assert "expected an upload id" in refused(ref, key, sources).message


# -- https:// through the guard ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


def _picture_site() -> Starlette:
    def picture(_request: Request) -> Response:
        return Response(png((64, 40)), media_type="image/png")

    def big(_request: Request) -> Response:
        return Response(b"\0" * 200_000, media_type="image/png")

    def thin(_request: Request) -> Response:
        return Response(png((65536, 1)), media_type="image/png")

    def missing(_request: Request) -> Response:
        return Response(b"", status_code=404)

    def bounce(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.query_params["to"]), status_code=302)

    return Starlette(
        routes=[
            Route("/picture.png", picture),
            Route("/big.png", big),
            Route("/thin.png", thin),
            Route("/missing.png", missing),
            Route("/bounce", bounce),
        ]
    )


@pytest.fixture(scope="module")
def site(tls: TlsFiles) -> Iterator[int]:
    with running_https(_picture_site(), tls) as port:
        yield port


def only_127_0_0_1(address: IPAddress) -> bool:
    """Stands in for "public": the one address our test site has, and nothing else."""
    return str(address) == "127.0.0.1"


def fetcher_sources(sources: MediaSources, tls: TlsFiles, **options: object) -> MediaSources:
    values: dict = {
        "timeout_s": 10,
        "max_bytes": 100_000,
        "allowed": only_127_0_0_1,
        "verify": tls.client_context(),
    }
    values.update(options)
    fetcher = MediaFetcher(**values)
    return MediaSources(sources.database, sources.store, sources.limits, fetcher)


def test_an_https_picture_is_held_to_the_shape_limits(
    key: Key, sources: MediaSources, tls: TlsFiles, site: int
) -> None:
    allowed = fetcher_sources(sources, tls)
    error = refused(f"https://127.0.0.1:{site}/thin.png", key, allowed, "mask")
    assert error.field == "mask" and "65536x1" in error.message and "at least 32" in error.message


def test_an_https_picture_is_fetched_and_cleaned(
    key: Key, sources: MediaSources, tls: TlsFiles, site: int
) -> None:
    allowed = fetcher_sources(sources, tls)
    resolved = resolve(f"https://127.0.0.1:{site}/picture.png", key, allowed)
    assert resolved.source is RefSource.url and resolved.image.size == (64, 40)
    via_redirect = resolve(
        f"https://127.0.0.1:{site}/bounce?to=/picture.png", key, allowed, field="mask"
    )
    assert via_redirect.sha256 == resolved.sha256


def test_a_redirect_to_a_refused_address_is_refused(
    key: Key, sources: MediaSources, tls: TlsFiles, site: int
) -> None:
    allowed = fetcher_sources(sources, tls)
    with pytest.raises(UnsafeWebhookTarget) as caught:
        resolve(
            f"https://127.0.0.1:{site}/bounce?to=https://127.0.0.2:{site}/picture.png",
            key,
            allowed,
        )
    assert caught.value.field == "image" and "127.0.0.2" in caught.value.message


def test_fetch_limits_and_failures(
    key: Key, sources: MediaSources, tls: TlsFiles, site: int
) -> None:
    allowed = fetcher_sources(sources, tls, max_redirects=2)
    base = f"https://127.0.0.1:{site}"
    assert "larger than 100000 bytes" in refused(f"{base}/big.png", key, allowed).message
    assert "HTTP 404" in refused(f"{base}/missing.png", key, allowed).message
    loop = f"{base}/bounce?to=/bounce%3Fto%3D/bounce%253Fto%253D/picture.png"
    assert "more than 2 redirects" in refused(loop, key, allowed).message
    plain = f"{base}/bounce?to=http://127.0.0.1:{site}/picture.png"
    assert "only https://" in refused(plain, key, allowed).message
    untrusted = fetcher_sources(sources, tls, verify=True)  # the system roots do not know it
    assert "could not be fetched" in refused(f"{base}/picture.png", key, untrusted).message


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/a.png",
        "https://10.0.0.8/a.png",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/a.png",
        "https://[::ffff:127.0.0.1]/a.png",
        "https://localhost/a.png",
    ],
)
def test_the_default_guard_refuses_private_targets(
    url: str, key: Key, sources: MediaSources
) -> None:
    with pytest.raises(UnsafeWebhookTarget) as caught:
        resolve(url, key, sources)
    assert caught.value.field == "image" and "not a public address" in caught.value.message


def test_the_operator_may_allow_private_targets(
    app: FastAPI, key: Key, tls: TlsFiles, site: int
) -> None:
    from limner.webhooks.ssrf import any_address

    context = app.state.limner
    settings = context.settings.model_copy(update={"media_fetch_allow_private": True})
    built = MediaSources.from_settings(settings, database=context.database, store=context.store)
    assert built.fetcher.allowed is any_address
    trusting = MediaFetcher(
        timeout_s=10, max_bytes=10_000, allowed=built.fetcher.allowed, verify=tls.client_context()
    )
    sources = MediaSources(built.database, built.store, built.limits, trusting)
    assert resolve(f"https://127.0.0.1:{site}/picture.png", key, sources).image.size == (64, 40)
