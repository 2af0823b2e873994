"""Idempotency-Key over real HTTP: replays, conflicts, and concurrent twins never charge twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from limner import keys
from limner.api import create_app
from limner.backends.placeholder import PlaceholderBackend
from limner.db.tables import Generation
from tests.support.gated import GATE_LIMIT_S, GatedBackend
from tests.support.live_server import running

BODY = {"prompt": "a lighthouse at dusk"}


@pytest.fixture
def live(settings_factory) -> Iterator[tuple[str, object]]:
    app = create_app(settings_factory(queue_poll_s=0.05, placeholder_delay_s=0.4))
    with running(app) as base:
        yield base, app


def new_key(app) -> dict[str, str]:
    with app.state.limner.database.transaction() as session:
        return {"Authorization": f"Bearer {keys.create_key(session=session).key}"}


def generations(app) -> int:
    with app.state.limner.database.read() as session:
        return session.scalar(select(func.count()).select_from(Generation))


def credits(base: str, headers: dict[str, str]) -> int:
    return httpx.get(f"{base}/api/v1/account", headers=headers).json()["credits_available"]


def test_same_key_and_body_replays_the_first_answer(live) -> None:
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "order-17"}
    first = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
    second = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert generations(app) == 1 and credits(base, headers) == 4


def test_same_key_with_another_body_is_409_reused(live) -> None:
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "order-18"}
    httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
    other = httpx.post(
        f"{base}/api/v1/generate", json={**BODY, "seed": 1}, headers=headers, timeout=30
    )
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    # keys are per account: another key may use the same string
    stranger = {**new_key(app), "Idempotency-Key": "order-18"}
    assert httpx.post(f"{base}/api/v1/generate", json=BODY, headers=stranger, timeout=30).is_success


def test_while_the_first_runs_a_twin_is_409_in_use(settings_factory) -> None:
    backend = GatedBackend(PlaceholderBackend())  # the first stays running until the twin is in
    app = create_app(settings_factory(), backend=backend)
    with running(app) as base:
        headers = {**new_key(app), "Idempotency-Key": "order-19"}
        results: list[httpx.Response] = []
        first = threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=60)
            )
        )
        first.start()
        assert backend.started.wait(GATE_LIMIT_S)
        twin = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
        backend.gate.set()
        first.join()
        assert twin.status_code == 409 and twin.json()["error"] == "idempotency_key_in_use"
        assert results[0].status_code == 200
        assert credits(base, headers) == 4


def test_concurrent_identical_requests_charge_once(live) -> None:
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "burst-1"}
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        response = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in answers)
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    assert {r.json()["id"] for r in answers if r.status_code == 200} == {
        next(r.json()["id"] for r in answers if r.status_code == 200)
    }
    assert generations(app) == 1 and credits(base, headers) == 4
    replay = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
    assert replay.status_code == 200 and generations(app) == 1


def test_async_submits_are_idempotent_too(live) -> None:
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "job-1"}
    body = {**BODY, "async": True}
    first = httpx.post(f"{base}/api/v1/generate", json=body, headers=headers, timeout=30)
    second = httpx.post(f"{base}/api/v1/generate", json=body, headers=headers, timeout=30)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"] and generations(app) == 1


def test_errors_that_cost_nothing_free_the_key_for_a_retry(settings_factory) -> None:
    app = create_app(settings_factory(placeholder_failure_rate=1.0))
    with running(app) as base:
        headers = {**new_key(app), "Idempotency-Key": "retry-me"}
        failed = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
        assert failed.status_code == 503
        app.state.limner.backend.failure_rate = 0.0
        retried = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers, timeout=30)
        assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
        # a 4xx is an answer: stored and replayed
        bad = {**headers, "Idempotency-Key": "bad-body"}
        first = httpx.post(f"{base}/api/v1/generate", json={"prompt": ""}, headers=bad)
        second = httpx.post(f"{base}/api/v1/generate", json={"prompt": ""}, headers=bad)
        assert first.status_code == second.status_code == 400
        assert second.headers["idempotent-replayed"] == "true"


def test_the_key_itself_is_validated(live) -> None:
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "x" * 256}
    response = httpx.post(f"{base}/api/v1/generate", json=BODY, headers=headers)
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_openai_endpoints_honour_the_key(live) -> None:
    """docs/api.md: every POST honours Idempotency-Key, the OpenAI surface's too (a multipart
    request is the same request when its fields and file bytes are)."""
    base, app = live
    headers = {**new_key(app), "Idempotency-Key": "openai-gen-1"}
    body = {"prompt": "a lighthouse at dusk"}
    first = httpx.post(f"{base}/v1/images/generations", json=body, headers=headers, timeout=30)
    again = httpx.post(f"{base}/v1/images/generations", json=body, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = httpx.post(
        f"{base}/v1/images/generations", json={"prompt": "a quiet street"}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"  # in OpenAI's shape
    assert generations(app) == 1 and credits(base, headers) == 4

    edit = {**headers, "Idempotency-Key": "openai-edit-1"}
    fields = {"prompt": "a sailing boat on the water"}

    def send(colour: tuple[int, int, int]) -> httpx.Response:
        files = {"image": ("a.png", png_bytes(colour), "image/png")}
        return httpx.post(
            f"{base}/v1/images/edits", data=fields, files=files, headers=edit, timeout=30
        )

    made, replayed = send((30, 160, 90)), send((30, 160, 90))
    assert made.status_code == replayed.status_code == 200, made.text
    assert replayed.json() == made.json() and replayed.headers["idempotent-replayed"] == "true"
    assert send((200, 40, 40)).status_code == 409  # another picture under the same key
    assert generations(app) == 2 and credits(base, headers) == 3
