"""The SDK's video surface against a live server: `generate(type="t2v")` answers a typed
`Video`, `wait=True` returns it finished, the MP4 downloads and decodes; a refused field raises
the typed error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from limner import keys, ledger
from limner.api import create_app
from limner.client import AsyncClient, Client, ValidationError, Video
from limner.media.video import probe
from tests.support.live_server import running

PROMPT = "a lighthouse at dusk"


@pytest.fixture
def live(settings_factory: Any) -> Iterator[tuple[str, str]]:
    app = create_app(settings_factory(queue_poll_s=0.05, free_daily_credits=0))
    with running(app) as base:
        app.state.limner.settings.public_url = base  # URLs this test can fetch
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=20)
        yield base, issued.key


def test_generate_a_video_and_wait_for_it(live: tuple[str, str]) -> None:
    base, key = live
    with Client(base, key) as client:
        queued = client.generate(PROMPT, type="t2v", duration_s=1, fps=6)
        assert isinstance(queued, Video) and queued.status in ("queued", "running")
        done = client.wait(queued.id)
        assert isinstance(done, Video) and done.status == "completed"
        assert (done.fps, done.frames, done.credits_used) == (6, 6, 2)
        info = probe(client.download(done.video_url or ""))
        assert (info.frames, info.width, info.height) == (6, done.width, done.height)
        assert client.download(done.poster_url or "")[:4] == b"\x89PNG"

        waited = client.generate(PROMPT, type="t2v", duration_s=1, wait=True)
        assert isinstance(waited, Video) and waited.status == "completed"
        assert waited.video_url and waited.image_url == waited.poster_url

        with pytest.raises(ValidationError) as refused:
            client.generate(PROMPT, type="t2v", duration_s=11)
        assert refused.value.field == "duration_s"


def test_the_async_client_waits_for_a_video(live: tuple[str, str]) -> None:
    base, key = live

    async def go() -> Video:
        async with AsyncClient(base, key) as client:
            done = await client.generate(PROMPT, type="t2v", duration_s=1, wait=True)
            assert isinstance(done, Video)
            return done

    done = asyncio.run(go())
    assert done.status == "completed" and done.frames == 8


def test_a_video_webhook_carries_the_video(settings_factory: Any) -> None:
    import limner.client as sdk
    from tests.support.gated import GATE_LIMIT_S
    from tests.support.receiver import receiver

    app = create_app(
        settings_factory(queue_poll_s=0.05, webhook_allow_private=True, free_daily_credits=0)
    )
    with running(app) as base:
        app.state.limner.settings.public_url = base
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=10)
        with Client(base, issued.key) as client, receiver() as hook:
            secret = client.webhook_secret().secret
            job = client.generate(PROMPT, type="t2v", duration_s=1, webhook_url=hook.url)
            assert hook.arrived.wait(GATE_LIMIT_S), "no webhook arrived"
    payload = sdk.verify_webhook(hook.received[0].headers, hook.received[0].body, secret)
    assert payload["type"] == "generation.completed"
    data = payload["data"]
    assert data["id"] == job.id and data["type"] == "t2v"
    assert data["video_url"].endswith(".mp4") and data["frames"] == 8 and data["credits_used"] == 2
