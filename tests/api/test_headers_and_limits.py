"""Rate limits and their headers, on every kind of response."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from limner import keys
from limner.api import create_app
from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}
RATE_HEADERS = ("x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit", "ratelimit-policy")


def assert_rate_headers(response) -> None:
    for name in RATE_HEADERS:
        assert name in response.headers, f"{name} missing on {response.status_code}"
    assert int(response.headers["x-ratelimit-remaining"]) >= 0
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000  # unix seconds
    assert re.fullmatch(r'"\w+";q=\d+;w=\d+', response.headers["ratelimit-policy"])
    assert re.fullmatch(r'"\w+";r=\d+;t=\d+', response.headers["ratelimit"])


def test_headers_on_every_kind_of_response(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_free="3/minute"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    auth = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        ok = client.post("/api/v1/generate", json=GOOD, headers=auth)
        responses = [
            ok,
            client.get(ok.json()["image_url"]),
            client.post("/api/v1/generate", json=GOOD),  # 401 missing
            client.post("/api/v1/generate", json=GOOD, headers={"Authorization": "Bearer x"}),
            client.post("/api/v1/generate", content=b"[]", headers=auth),  # 400
            client.post("/api/v1/generate", json={"prompt": ""}, headers=auth),  # 400
            client.get("/api/v1/account", headers=auth),
            client.get("/api/v1/generations/gen_nope", headers=auth),  # 404
            client.get("/healthz"),
            client.get("/readyz"),
            client.get("/openapi.json"),
            client.get("/no/such/path"),
            client.delete("/api/v1/generate", headers=auth),  # 405
        ]
        responses.append(client.post("/api/v1/generate", json=GOOD, headers=auth))
        limited = client.post("/api/v1/generate", json=GOOD, headers=auth)  # 4th in the minute
        responses.append(limited)
    statuses = {r.status_code for r in responses}
    assert {200, 400, 401, 404, 405, 429} <= statuses
    for response in responses:
        assert_rate_headers(response)


def test_429_has_retry_after_matching_the_body(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_free="2/minute"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        keys.create_key(session=session)
    auth = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        remaining = [
            int(
                client.post("/api/v1/generate", json=GOOD, headers=auth).headers[
                    "x-ratelimit-remaining"
                ]
            )
            for _ in range(2)
        ]
        assert remaining == [1, 0]
        response = client.post("/api/v1/generate", json=GOOD, headers=auth)
        assert response.status_code == 429
        body = response.json()
        assert body["error"] == "rate_limited"
        assert 1 <= body["retry_after"] <= 60
        assert response.headers["retry-after"] == str(body["retry_after"])
        # a refused request is not charged
        account = client.get("/api/v1/account", headers=auth).json()
        assert account["credits_available"] == 3


def test_limits_are_per_key_and_per_plan(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_free="1/minute", rate_limit_pro="3/minute"))
    with app.state.limner.database.transaction() as session:
        free_a = keys.create_key(session=session, plan="free")
        free_b = keys.create_key(session=session, plan="free")
        pro = keys.create_key(session=session, plan="pro")

    def post(issued) -> int:
        return client.post(
            "/api/v1/generate", json=GOOD, headers={"Authorization": f"Bearer {issued.key}"}
        ).status_code

    with TestClient(app) as client:
        assert [post(free_a), post(free_a)] == [200, 429]
        assert post(free_b) == 200  # another key has its own window
        assert [post(pro) for _ in range(4)] == [200, 200, 200, 429]


def test_reads_have_their_own_limit(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_free="1/minute", rate_limit_read="3/minute"))
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
    auth = {"Authorization": f"Bearer {issued.key}"}
    with TestClient(app) as client:
        assert client.post("/api/v1/generate", json=GOOD, headers=auth).status_code == 200
        assert client.post("/api/v1/generate", json=GOOD, headers=auth).status_code == 429
        reads = [client.get("/api/v1/account", headers=auth).status_code for _ in range(4)]
        assert reads == [200, 200, 200, 429]


def test_unauthenticated_requests_are_limited_per_address(settings_factory) -> None:
    app = create_app(settings_factory(rate_limit_anonymous="3/minute", trust_proxy_headers=True))
    with TestClient(app) as client:
        from_a = {"X-Forwarded-For": "198.51.100.7"}
        codes = [
            client.post("/api/v1/generate", json=GOOD, headers=from_a).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        # wrong keys count too, so keys cannot be guessed quickly
        wrong = {**from_a, "Authorization": "Bearer lmn_00000000_" + "b" * 43}
        assert client.post("/api/v1/generate", json=GOOD, headers=wrong).status_code == 429
        other = {"X-Forwarded-For": "198.51.100.8"}
        assert client.post("/api/v1/generate", json=GOOD, headers=other).status_code == 401


@pytest.mark.parametrize("value", ["ten per minute", "10/fortnight", ""])
def test_bad_rate_limit_settings_are_refused_at_start(settings_factory, value: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="rate_limit_free"):
        settings_factory(rate_limit_free=value)


def test_account_reports_plan_allowance_and_reset(client: TestClient, make_key) -> None:
    key: Key = make_key(plan="pro", credits=7, name="studio")
    body = client.get("/api/v1/account", headers=key.headers).json()
    assert body["plan"] == "pro"
    assert body["name"] == "studio"
    assert body["daily_allowance"] == 100
    assert body["credits_available"] == 107
    assert body["granted_credits"] == 7
    assert body["key_prefix"] == key.prefix
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", body["resets_at"])
