"""The Python SDK against a live server, and its public surface."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

import limner.client as sdk
from limner import keys
from limner.api import create_app
from limner.backends.placeholder import PlaceholderBackend
from limner.client import AsyncClient, Client
from tests.support.gated import SteppedBackend
from tests.support.live_server import running
from tests.support.receiver import receiver

PROMPT = "a lighthouse at dusk"
HELD = "a lighthouse at dawn"


def test_the_public_surface_is_pinned() -> None:
    assert set(sdk.__all__) == {
        "Account",
        "AlreadyFinishedError",
        "AsyncCharacters",
        "AsyncClient",
        "AuthenticationError",
        "Character",
        "CharacterPage",
        "CharacterReference",
        "Characters",
        "Client",
        "ConflictError",
        "ContentBlockedError",
        "Event",
        "Generation",
        "GenerationCanceledError",
        "GenerationFailedError",
        "GenerationPage",
        "IdempotencyKeyErasedError",
        "IdempotencyKeyInUseError",
        "IdempotencyKeyReusedError",
        "Image",
        "InsufficientCreditsError",
        "InternalServerError",
        "InvalidRequestError",
        "LimnerAPIError",
        "NotFoundError",
        "Progress",
        "RateLimitedError",
        "Upload",
        "ValidationError",
        "Video",
        "WebhookAttempt",
        "WebhookDelivery",
        "WebhookLog",
        "WebhookSecret",
        "WebhookVerificationError",
        "verify_webhook",
    }
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None
    errors = [getattr(sdk, n) for n in sdk.__all__ if n.endswith("Error")]
    for error in errors:
        if error is not sdk.WebhookVerificationError:
            assert issubclass(error, sdk.LimnerAPIError)


@pytest.fixture
def live(settings_factory) -> Iterator[tuple[str, str, object]]:
    app = create_app(
        settings_factory(
            queue_poll_s=0.05,
            webhook_allow_private=True,
            rate_limit_free="30/minute",
        ),
        # the batch job holds each image at step 1 until the test has seen its progress (the
        # backend's prompt ends with the caller's: the style's words come first)
        backend=SteppedBackend(PlaceholderBackend(), hold=lambda spec: spec.prompt.endswith(HELD)),
    )
    with running(app) as base:
        app.state.limner.settings.public_url = base  # image URLs that this test can fetch
        with app.state.limner.database.transaction() as session:
            key = keys.create_key(session=session).key
        yield base, key, app


def test_sync_client_end_to_end(live) -> None:
    base, key, app = live
    with Client(base, key) as client:
        done = client.generate(PROMPT, seed=7)
        assert done.status == "completed" and done["image_url"] == done.image_url
        assert client.download(done.image_url)[:4] == b"\x89PNG"

        job = client.submit(HELD, n=2, idempotency_key="sdk-1")
        assert (
            job.status == "queued"
            and client.submit(HELD, n=2, idempotency_key="sdk-1").id == job.id
        )
        events, released = [], set()
        for event in client.stream_events(job.id):
            events.append(event)
            if event.event == "progress" and event.data["image"] not in released:
                released.add(event.data["image"])
                app.state.limner.backend.step_permits.release()
        assert events[-1].event == "completed"
        # both images were held until their progress had been seen
        assert released == {1, 2} and app.state.limner.backend.finished_images == 2
        finished = client.wait(job.id)
        assert len(finished.images) == 2 and finished.credits_used == 2

        assert [g.id for g in client.iter_generations(limit=1)] == [job.id, done.id]
        assert client.generations(status="completed").data[0].id == job.id
        assert client.account().credits_available == 2

        with pytest.raises(sdk.AlreadyFinishedError) as caught:
            client.cancel(job.id)
        assert caught.value.status_code == 409 and caught.value.code == "already_finished"
        with pytest.raises(sdk.NotFoundError):
            client.generation("gen_doesnotexist")


def test_a_test_key_says_livemode_false_through_the_sdk(live) -> None:
    base, key, app = live
    with app.state.limner.database.transaction() as session:
        test_key = keys.create_key(session=session, test=True).key
    with Client(base, test_key) as client:
        done = client.generate(PROMPT, seed=7)
        assert done.livemode is False and done.credits_used == 0
        assert client.account().livemode is False
        assert client.generation(done.id).livemode is False
    with Client(base, key) as client:
        assert client.account().livemode is True


def test_errors_are_typed(live) -> None:
    base, key, _app = live
    with Client(base, key) as client:
        with pytest.raises(sdk.ValidationError) as validation:
            client.generate(PROMPT, quality="ultra")
        assert validation.value.field == "quality"
        with pytest.raises(sdk.InsufficientCreditsError) as credits:
            client.generate(PROMPT, quality="hires", n=3)
        assert credits.value.credits_required == 6 and credits.value.credits_available == 5
        with pytest.raises(sdk.ContentBlockedError) as blocked:
            client.generate("a portrait", style="nude", appearance={"body_type": "teen"})
        assert blocked.value.field == "appearance.body_type"
        with pytest.raises(sdk.IdempotencyKeyReusedError):
            client.generate(PROMPT, idempotency_key="k")
            client.generate(PROMPT + "!", idempotency_key="k")
    with (
        Client(base, "lmn_00000000_" + "a" * 43) as stranger,
        pytest.raises(sdk.AuthenticationError) as auth,
    ):
        stranger.account()
    assert auth.value.code == "invalid_api_key"
    # the old surface still works: LimnerAPIError with code, status_code, body
    assert isinstance(auth.value, sdk.LimnerAPIError) and auth.value.body["error"]


def test_rate_limited_carries_retry_after(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_free="1/minute"))
    with running(app) as base:
        with app.state.limner.database.transaction() as session:
            key = keys.create_key(session=session).key
        with Client(base, key) as client:
            client.generate(PROMPT)
            with pytest.raises(sdk.RateLimitedError) as caught:
                client.generate(PROMPT)
    assert 1 <= caught.value.retry_after <= 60


def test_wait_raises_for_failed_and_canceled(settings_factory) -> None:
    app = create_app(settings_factory(placeholder_failure_rate=1.0, queue_poll_s=0.05))
    with running(app) as base:
        with app.state.limner.database.transaction() as session:
            key = keys.create_key(session=session).key
        with Client(base, key) as client:
            job = client.submit(PROMPT)
            with pytest.raises(sdk.GenerationFailedError) as failed:
                client.wait(job.id, poll_interval=0.05)
            assert failed.value.code == "generation_failed"
    app = create_app(settings_factory(queue_workers=0, data_dir=app.state.limner.settings.data_dir))
    with running(app) as base, Client(base, key) as client:
        job = client.submit(PROMPT)
        assert client.cancel(job.id).status == "canceled"
        with pytest.raises(sdk.GenerationCanceledError):
            client.wait(job.id)


def test_async_client(live) -> None:
    base, key, _app = live

    async def flow() -> tuple[list[str], sdk.Generation, int]:
        async with AsyncClient(base, key) as client:
            job = await client.submit(PROMPT)
            names = [event.event async for event in client.stream_events(job.id)]
            done = await client.wait(job.id, poll_interval=0.05)
            image = await client.download(done.image_url)
            account = await client.account()
            page = await client.generations(limit=5)
            assert page.data[0].id == job.id
            return names, done, len(image) + 0 * account.credits_available

    names, done, size = asyncio.run(flow())
    assert names[-1] == "completed" and done.credits_used == 1 and size > 0


def test_verify_webhook_accepts_a_real_delivery_and_refuses_tampering(live) -> None:
    base, key, _app = live
    with Client(base, key) as client, receiver() as hook:
        secret = client.webhook_secret().secret
        job = client.generate(PROMPT, webhook_url=hook.url)
        (delivered,) = hook.wait_for(1)
        assert delivered.path == "/hooks/limner"
        assert client.webhook_log(job.id).deliveries[0].webhook_id
    message = hook.received[0]
    payload = sdk.verify_webhook(message.headers, message.body, secret)
    assert payload["type"] == "generation.completed" and payload["data"]["id"] == job.id
    with pytest.raises(sdk.WebhookVerificationError):
        sdk.verify_webhook(message.headers, message.body.replace(b"completed", b"failed"), secret)
    with pytest.raises(sdk.WebhookVerificationError):
        sdk.verify_webhook(message.headers, message.body, secret, now=time.time() + 3600)
    with pytest.raises(sdk.WebhookVerificationError):
        sdk.verify_webhook({}, message.body, secret)
    other = "whsec_" + "A" * 32
    with pytest.raises(sdk.WebhookVerificationError):
        sdk.verify_webhook(message.headers, message.body, other)


def test_uploads_from_a_path_bytes_and_the_async_client(live, tmp_path) -> None:
    import io

    from PIL import Image

    base, key, _app = live
    picture = tmp_path / "harbour.webp"
    Image.new("RGB", (60, 40), (5, 90, 160)).save(picture, format="WEBP")
    buffer = io.BytesIO()
    Image.new("RGB", (36, 48), (5, 90, 160)).save(buffer, format="JPEG")
    with Client(base, key) as client:
        from_path = client.upload(picture)
        assert from_path.id.startswith("upl_") and (from_path.width, from_path.height) == (60, 40)
        from_bytes = client.upload(buffer.getvalue())
        assert (from_bytes.width, from_bytes.height) == (36, 48)
        assert client.get_upload(from_path.id).sha256 == from_path.sha256
        client.delete_upload(from_path.id)
        with pytest.raises(sdk.NotFoundError):
            client.get_upload(from_path.id)
        with pytest.raises(sdk.ValidationError) as refused:
            client.upload(b"not a picture")
        assert refused.value.field == "file"

    async def run() -> str:
        async with AsyncClient(base, key) as client:
            made = await client.upload(picture)
            assert (await client.get_upload(made.id)).id == made.id
            await client.delete_upload(made.id)
            return made.id

    assert asyncio.run(run()).startswith("upl_")


def test_characters_through_the_sdk(live) -> None:
    from PIL import Image

    base, key, _app = live
    with Client(base, key) as client:
        made = client.generate(PROMPT, seed=3)
        mara = client.characters.create(
            "Mara", [made.id], style="realistic", description="a tall hiker with a red scarf"
        )
        assert mara.id.startswith("chr_") and mara.references[0].generation_id == made.id
        assert client.characters.get(mara.id).name == "Mara"
        assert [each.id for each in client.characters.list(limit=5).data] == [mara.id]
        scene = client.generate("a market street in the rain", character_id=mara.id, seed=4)
        assert scene.character == {"id": mara.id, "name": "Mara"}
        assert scene.reference_conditioning is True
        with pytest.raises(sdk.ValidationError) as refused:
            client.generate(PROMPT, character_id=mara.id, style="anime")
        assert refused.value.field == "character_id"
        client.characters.delete(mara.id)
        with pytest.raises(sdk.NotFoundError):
            client.characters.get(mara.id)

    picture = Image.new("RGB", (40, 40), (200, 10, 10))

    async def run() -> list[str]:
        async with AsyncClient(base, key) as client:
            upload = await client.upload(_png(picture))
            ole = await client.characters.create("Ole", [upload.id])
            listed = [each.id for each in (await client.characters.list()).data]
            assert (await client.characters.get(ole.id)).references[0].source == "upload"
            await client.characters.delete(ole.id)
            return [*listed, ole.id]

    listed = asyncio.run(run())
    assert listed[0] == listed[1]


def _png(image: object) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


def test_image_input_types_take_paths_bytes_pil_images_and_ids(live, tmp_path) -> None:
    """`image` and `mask` as a path, bytes, a PIL image, an upload id and a `Generation`: the SDK
    uploads what is not a reference yet (sync and async clients)."""
    import io

    from PIL import Image

    base, key, _app = live
    picture = Image.new("RGB", (96, 64), (40, 90, 160))
    path = tmp_path / "in.png"
    picture.save(path)
    mask = Image.new("L", (96, 64), 0)
    mask.paste(255, (20, 10, 60, 40))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    with Client(base, key) as client:
        inpainted = client.generate(PROMPT, type="inpaint", image=path, mask=buffer.getvalue())
        assert inpainted.status == "completed" and inpainted.type == "inpaint"
        out = Image.open(io.BytesIO(client.download(inpainted.image_url)))
        assert out.size == (96, 64)
        uploaded = client.upload(str(path)).id
        moved = client.generate(PROMPT, type="i2i", image=uploaded, strength=0.3)
        assert moved.status == "completed"
        grown = client.generate(
            PROMPT, type="outpaint", image=inpainted, expand={"left": 16, "top": 8}
        )
        assert Image.open(io.BytesIO(client.download(grown.image_url))).size == (112, 72)
        with pytest.raises(sdk.ValidationError) as caught:
            client.generate(PROMPT, type="inpaint", image=picture, mask=b"not a picture")
        assert caught.value.status_code == 400  # the mask upload is refused: not a picture

    async def run() -> None:
        async with AsyncClient(base, key) as client:
            done = await client.generate(PROMPT, type="inpaint", image=picture, mask=mask)
            assert done.status == "completed"

    asyncio.run(run())
