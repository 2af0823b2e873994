"""`/metrics` names, request ids, CORS and JSON logs, through HTTP."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from limner.api import create_app
from limner.config import LogFormat, Settings
from limner.logs import JsonFormatter, request_id_var
from tests.conftest import Key

GOOD = {"prompt": "a lighthouse at dusk"}


def scrape(client: TestClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """The database-derived series use dialect-specific time arithmetic: both are checked."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


def test_metric_names_after_a_generation_a_batch_and_a_refusal(
    settings_factory, tmp_path: Path, database_url: str | None
) -> None:
    terms = tmp_path / "blocked.txt"
    terms.write_text("zeppelin\n")
    app = create_app(
        settings_factory(moderation_blocked_terms_file=terms, database_url=database_url)
    )
    with TestClient(app) as client:
        from limner import keys, ledger

        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session, plan="free", name="metrics")
            ledger.grant(session=session, account_id=issued.account_id, amount=10)
        headers = {"Authorization": f"Bearer {issued.key}"}
        assert client.post("/api/v1/generate", json=GOOD, headers=headers).status_code == 200
        batch = {**GOOD, "n": 2, "quality": "hires"}
        assert client.post("/api/v1/generate", json=batch, headers=headers).status_code == 200
        refused = {"prompt": "a zeppelin over hills"}
        assert client.post("/api/v1/generate", json=refused, headers=headers).status_code == 403
        generation_id = client.get("/api/v1/generations", headers=headers).json()["data"][0]["id"]
        client.get(f"/api/v1/generations/{generation_id}", headers=headers)

        samples = scrape(client)

    requests = samples["limner_http_requests_total"]
    route = ("route", "/api/v1/generate")
    assert requests[(("method", "POST"), route, ("status", "200"))] == 2
    assert requests[(("method", "POST"), route, ("status", "403"))] == 1
    # route templates, never raw ids
    templated = (("method", "GET"), ("route", "/api/v1/generations/{generation_id}"))
    assert requests[(*templated, ("status", "200"))] == 1
    assert not any(generation_id in str(labels) for labels in requests)
    assert samples["limner_http_request_duration_seconds_count"][(route,)] == 3

    assert samples["limner_generations_total"][(("status", "completed"),)] == 2
    assert samples["limner_credits_captured_total"][()] == 1 + 2 * 2
    assert samples["limner_generation_batch_images_total"][(("images", "1"),)] == 1
    assert samples["limner_generation_batch_images_total"][(("images", "2"),)] == 1
    assert samples["limner_generation_seconds_count"][()] == 2
    assert 0 < samples["limner_generation_seconds_sum"][()] < 3600
    refusals = samples["limner_refusals_total"]
    assert sum(refusals.values()) == 1 and all(labels[0][0] == "rule" for labels in refusals)
    for name in ("limner_queue_depth", "limner_queue_oldest_wait_seconds"):
        assert samples[name][()] == 0
    assert samples["limner_queue_wait_seconds_count"][()] == 0
    assert "limner_gpu_memory_bytes" not in samples  # no CUDA here
    # each of the 3 images went through every stage but the caption (none was asked for)
    stages = samples["limner_generation_stage_seconds_count"]
    for stage in ("backend", "screen", "stamp", "store"):
        assert stages[(("stage", stage),)] == 3, stage
    assert (("stage", "caption"),) not in stages


def test_queue_depth_counts_waiting_jobs(settings_factory) -> None:
    app = create_app(settings_factory(queue_workers=0))  # nothing claims jobs
    with TestClient(app) as client:
        from limner import keys

        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session, plan="free", name="queue")
        headers = {"Authorization": f"Bearer {issued.key}"}
        for _ in range(2):
            body = {**GOOD, "async": True}
            assert client.post("/api/v1/generate", json=body, headers=headers).status_code == 202
        samples = scrape(client)
    assert samples["limner_queue_depth"][()] == 2
    assert samples["limner_generations_total"][(("status", "queued"),)] == 2


def test_every_response_has_a_request_id(client: TestClient, key: Key) -> None:
    first = client.get("/api/v1/account", headers=key.headers)
    second = client.get("/nowhere")
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert ids[0] != ids[1]
    echoed = client.get("/healthz", headers={"X-Request-Id": "edge-7f3a.1"})
    assert echoed.headers["X-Request-Id"] == "edge-7f3a.1"
    unsafe = client.get("/healthz", headers={"X-Request-Id": "a b\tc" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["X-Request-Id"])


def test_no_cors_unless_configured(client: TestClient) -> None:
    preflight = client.options(
        "/api/v1/generate",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture
def cors_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # from the environment, as an operator sets it: comma-separated
    monkeypatch.setenv("LIMNER_CORS_ORIGINS", "https://app.example, https://admin.example/")
    monkeypatch.setenv("LIMNER_PUBLIC_URL", "http://testserver")
    with TestClient(create_app(Settings())) as client:
        yield client


def test_cors_preflight_and_exposed_headers(cors_client: TestClient, make_cors_key) -> None:
    origin = {"Origin": "https://admin.example"}
    preflight = cors_client.options(
        "/api/v1/generate",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://admin.example"
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.split(", "))

    answer = cors_client.post(
        "/api/v1/generate", json=GOOD, headers={**origin, **make_cors_key(cors_client)}
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://admin.example"
    exposed = {
        name.strip().lower() for name in answer.headers["access-control-expose-headers"].split(",")
    }
    assert {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"} <= exposed

    stranger = cors_client.options(
        "/api/v1/generate",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in stranger.headers


@pytest.fixture
def make_cors_key():
    def make(client: TestClient) -> dict[str, str]:
        from limner import keys

        with client.app.state.limner.database.transaction() as session:  # type: ignore[attr-defined]
            issued = keys.create_key(session=session, plan="free", name="cors")
        return {"Authorization": f"Bearer {issued.key}"}

    return make


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """JSON logging reconfigures the root logger at start; put it back for the other tests."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).level,
            logging.getLogger(name).propagate,
        )
        for name in names
    }
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.level, logger.propagate = handlers, level, propagate


def test_json_logs_carry_the_request_id(
    settings_factory, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(settings_factory(log_format=LogFormat.json))
    with TestClient(app) as client:
        request_id = client.get("/healthz").headers["X-Request-Id"]
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "limner.access"]
    assert access, lines
    entry = access[-1]
    assert entry["request_id"] == request_id
    assert entry["route"] == "/healthz" and entry["status"] == 200 and entry["method"] == "GET"
    assert entry["level"] == "info" and "time" in entry


def test_json_formatter_outside_a_request() -> None:
    record = logging.makeLogRecord({"name": "limner.test", "msg": "hello %s", "args": ("there",)})
    assert json.loads(JsonFormatter().format(record))["message"] == "hello there"
    token = request_id_var.set("abc123")
    try:
        assert json.loads(JsonFormatter().format(record))["request_id"] == "abc123"
    finally:
        request_id_var.reset(token)


def test_the_grafana_dashboard_queries_metrics_that_exist(client: TestClient) -> None:
    dashboard = json.loads(
        (Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json").read_text()
    )
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\blimner_[a-z_]+", expr)}
    exposed = set(client.get("/metrics").text.split())  # the # HELP/TYPE lines name every family
    exposed_names = {word for word in exposed if word.startswith("limner_")}
    families = {re.sub(r"_(bucket|sum|count|total|created)$", "", name) for name in exposed_names}
    families.add("limner_gpu_memory_bytes")  # only where CUDA is present
    for name in used:
        assert re.sub(r"_(bucket|sum|count|total)$", "", name) in families, name
