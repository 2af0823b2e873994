"""Async generations through HTTP: 202 and the queue, status, list, cancel, batches, events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from limner import keys, ledger
from limner.api import create_app
from limner.backends.placeholder import PlaceholderBackend
from limner.db.tables import Reservation
from tests.support.events import wait_finished
from tests.support.gated import GATE_LIMIT_S, SteppedBackend

PROMPT = {"prompt": "a lighthouse at dusk"}


class Server:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app = client.app
        self.database = client.app.state.limner.database

    def key(self, credits: int = 0, plan: str = "free") -> dict[str, str]:
        with self.database.transaction() as session:
            issued = keys.create_key(session=session, plan=plan)
            if credits:
                ledger.grant(session=session, account_id=issued.account_id, amount=credits)
        return {"Authorization": f"Bearer {issued.key}"}

    def available(self, headers: dict[str, str]) -> int:
        return self.client.get("/api/v1/account", headers=headers).json()["credits_available"]

    def wait(self, generation_id: str, headers: dict[str, str]) -> dict:
        """The final body, once the job's event stream ends at its terminal status."""
        return wait_finished(self.client, generation_id, headers)

    def open_reservations(self) -> int:
        from sqlalchemy import func, select

        with self.database.read() as session:
            return session.scalar(
                select(func.count()).select_from(Reservation).where(Reservation.status == "open")
            )


@pytest.fixture
def serve(settings_factory) -> Iterator[Callable[..., Server]]:
    clients: list[TestClient] = []

    def make(*, backend: object = None, **overrides: object) -> Server:
        values: dict[str, object] = {"queue_poll_s": 0.05}
        values.update(overrides)
        client = TestClient(create_app(settings_factory(**values), backend=backend))
        client.__enter__()
        clients.append(client)
        return Server(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_async_answers_202_queued_then_completes_and_charges(serve) -> None:
    server = serve()
    headers = server.key()
    response = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True}, headers=headers
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["credits_used"] == 0
    assert body["queue_position"] >= 1
    assert server.available(headers) == 4  # reserved at submit
    done = server.wait(body["id"], headers)
    assert done["status"] == "completed" and done["credits_used"] == 1
    assert done["images"] == [{"url": done["image_url"], "seed": done["seed"]}]
    assert server.client.get(done["image_url"]).status_code == 200
    assert server.available(headers) == 4 and server.open_reservations() == 0


def test_moderation_and_credits_are_checked_at_submit(serve) -> None:
    server = serve(queue_workers=0)
    headers = server.key()
    blocked = {"prompt": "a portrait", "style": "nude", "appearance": {"body_type": "teen"}}
    response = server.client.post(
        "/api/v1/generate", json={**blocked, "async": True}, headers=headers
    )
    assert response.status_code == 403 and response.json()["field"] == "appearance.body_type"
    response = server.client.post(
        "/api/v1/generate",
        json={**PROMPT, "async": True, "n": 3, "quality": "hires"},
        headers=headers,
    )
    assert response.status_code == 402
    assert response.json()["credits_required"] == 6
    assert server.available(headers) == 5


def test_queue_is_fair_between_keys(serve) -> None:
    server = serve(queue_workers=0)
    greedy, patient = server.key(credits=20), server.key()
    greedy_ids = [
        server.client.post(
            "/api/v1/generate", json={**PROMPT, "async": True}, headers=greedy
        ).json()["id"]
        for _ in range(4)
    ]
    late = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True}, headers=patient
    ).json()
    # round-robin: the patient key's first job is at most second, not fifth
    assert late["queue_position"] <= 2
    queue = server.app.state.limner.jobs.queue
    order = [queue.claim("test") for _ in range(5)]
    assert order[:2] == [greedy_ids[0], late["id"]]
    assert order[2:] == greedy_ids[1:]
    assert queue.claim("test") is None


def test_list_paginates_and_filters(serve) -> None:
    server = serve(queue_workers=0)
    headers, other = server.key(credits=10), server.key()
    ids = [
        server.client.post("/api/v1/generate", json=PROMPT, headers=headers).json()["id"]
        for _ in range(3)
    ]
    queued = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True}, headers=headers
    ).json()["id"]
    server.client.post("/api/v1/generate", json=PROMPT, headers=other)

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/api/v1/generations", params=params, headers=headers).json()
        seen += [item["id"] for item in page["data"]]
        cursor = page.get("next_cursor")
        assert page["has_more"] is (cursor is not None)
        if not cursor:
            break
    assert seen == [queued, *reversed(ids)]  # newest first, only the caller's

    only = server.client.get(
        "/api/v1/generations", params={"status": "queued"}, headers=headers
    ).json()
    assert [item["id"] for item in only["data"]] == [queued]
    assert only["data"][0]["queue_position"] == 1
    bad = server.client.get("/api/v1/generations", params={"status": "done"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    bad = server.client.get("/api/v1/generations", params={"limit": 0}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "limit"


def test_cancel_a_queued_job_releases_its_credits(serve) -> None:
    server = serve(queue_workers=0)
    headers = server.key()
    job = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True, "quality": "hires"}, headers=headers
    ).json()
    assert server.available(headers) == 3
    response = server.client.post(f"/api/v1/generations/{job['id']}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "canceled" and response.json()["credits_used"] == 0
    assert server.available(headers) == 5 and server.open_reservations() == 0
    again = server.client.post(f"/api/v1/generations/{job['id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json() == {
        "error": "already_finished",
        "message": again.json()["message"],
        "status": "canceled",
    }
    stranger = server.key()
    assert (
        server.client.post(f"/api/v1/generations/{job['id']}/cancel", headers=stranger).status_code
        == 404
    )


def test_cancel_a_running_job_stops_it_at_the_next_step(serve) -> None:
    # the backend holds after step 1 until it is canceled: only a working cancel ends the job
    backend = SteppedBackend(PlaceholderBackend(), wait_for_cancel=True)
    server = serve(backend=backend)
    headers = server.key()
    job = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True}, headers=headers
    ).json()
    assert backend.at_step_1.wait(GATE_LIMIT_S)
    response = server.client.post(f"/api/v1/generations/{job['id']}/cancel", headers=headers)
    assert response.status_code == 200
    assert server.wait(job["id"], headers)["status"] == "canceled"
    assert backend.finished_images == 0  # stopped at the next step, not at the end
    assert server.available(headers) == 5 and server.open_reservations() == 0


def test_cancel_a_completed_generation_is_409(serve) -> None:
    server = serve()
    headers = server.key()
    done = server.client.post("/api/v1/generate", json=PROMPT, headers=headers).json()
    response = server.client.post(f"/api/v1/generations/{done['id']}/cancel", headers=headers)
    assert response.status_code == 409 and response.json()["status"] == "completed"


def test_a_batch_has_distinct_seeds_and_charges_each_image(serve) -> None:
    server = serve()
    headers = server.key()
    body = server.client.post(
        "/api/v1/generate", json={**PROMPT, "n": 3, "seed": 41}, headers=headers
    ).json()
    assert body["n"] == 3 and body["credits_used"] == 3
    assert [image["seed"] for image in body["images"]] == [41, 42, 43]
    assert body["image_url"] == body["images"][0]["url"]
    contents = {server.client.get(image["url"]).content for image in body["images"]}
    assert len(contents) == 3
    assert server.available(headers) == 2


def test_a_batch_where_some_images_fail_charges_only_the_successes(serve, monkeypatch) -> None:
    server = serve()
    headers = server.key(credits=3)  # 8 available: exactly the 4 hires images reserved
    backend = server.app.state.limner.backend
    original = backend.generate

    def flaky(spec, context):
        if spec.seed % 2:
            from limner.errors import GenerationFailed

            raise GenerationFailed("odd seeds fail")
        return original(spec, context)

    monkeypatch.setattr(backend, "generate", flaky)
    body = server.client.post(
        "/api/v1/generate",
        json={**PROMPT, "n": 4, "seed": 10, "quality": "hires"},
        headers=headers,
    ).json()
    assert [image["seed"] for image in body["images"]] == [10, 12]
    assert body["credits_used"] == 4  # 2 images x 2 credits; the 2 failures are free
    assert server.available(headers) == 4 and server.open_reservations() == 0


def test_batch_cap_is_configurable_and_named(serve) -> None:
    server = serve(max_batch=2)
    headers = server.key()
    response = server.client.post("/api/v1/generate", json={**PROMPT, "n": 3}, headers=headers)
    assert response.status_code == 400 and response.json()["field"] == "n"
    assert "at most 2" in response.json()["message"]
    for bad in (0, 9, "2", 1.5):
        response = server.client.post(
            "/api/v1/generate", json={**PROMPT, "n": bad}, headers=headers
        )
        assert response.status_code == 400 and response.json()["field"] == "n", bad
    response = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": "yes"}, headers=headers
    )
    assert response.status_code == 400 and response.json()["field"] == "async"


def test_events_stream_progress_then_the_result(serve) -> None:
    # each image holds after step 1 until the stream has shown its progress
    backend = SteppedBackend(PlaceholderBackend())
    server = serve(backend=backend)
    headers = server.key()
    job = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True, "n": 2}, headers=headers
    ).json()
    events = []
    released: set[int] = set()
    with server.client.stream(
        "GET", f"/api/v1/generations/{job['id']}/events", headers=headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
                events.append((name, data))
                if name == "progress" and data["image"] not in released:
                    released.add(data["image"])
                    backend.step_permits.release()
    names = [name for name, _ in events]
    assert names[-1] == "completed" and "running" in names
    progress = [data for name, data in events if name == "progress"]
    assert progress and all(p["step"] <= p["total"] == 4 or p["total"] == 0 for p in progress)
    assert {p["image"] for p in progress} == {1, 2}
    assert events[-1][1]["credits_used"] == 2 and len(events[-1][1]["images"]) == 2
    missing = server.client.get("/api/v1/generations/gen_nothere/events", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_events_of_a_failed_generation_end_with_failed(serve) -> None:
    server = serve(placeholder_failure_rate=1.0)
    headers = server.key()
    job = server.client.post(
        "/api/v1/generate", json={**PROMPT, "async": True}, headers=headers
    ).json()
    server.wait(job["id"], headers)
    response = server.client.get(f"/api/v1/generations/{job['id']}/events", headers=headers)
    assert "event: failed" in response.text and '"error":"generation_failed"' in response.text
    assert server.available(headers) == 5
