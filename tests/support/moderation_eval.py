"""Runs the moderation evaluation set (tests/moderation_eval/) through the HTTP API.

Shared by the test (tests/api/test_moderation_eval.py) and the bench
(bench/bench_moderation_eval.py), so both judge a case the same way: a 403 `content_blocked` is
blocked, any accepted request (200, or 202 for the asynchronous form) is allowed, anything else is
an error, which counts as a miss on either side.

Requests are sent asynchronously to an app with no queue workers: the request is parsed,
moderated, charged and queued, never rendered, so a thousand cases take seconds. The text
moderation runs before any of that, exactly as for a synchronous request.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings

EVAL_DIR = Path(__file__).resolve().parents[1] / "moderation_eval"
HALVES = ("dev", "heldout")


def load(half: str) -> list[dict[str, Any]]:
    path = EVAL_DIR / f"{half}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def request_body(case: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": case["prompt"], "style": case["style"], "async": True}
    if "appearance" in case:
        body["appearance"] = case["appearance"]
    if "caption" in case:
        body["snap_caption"] = {"text": case["caption"]}
    return body


@dataclass(frozen=True)
class Outcome:
    case: dict[str, Any]
    verdict: str  # "blocked", "allowed" or "error <status> <code>"

    @property
    def correct(self) -> bool:
        wanted = "blocked" if self.case["expect"] == "block" else "allowed"
        return self.verdict == wanted


def verdict_of(status: int, body: dict[str, Any]) -> str:
    if status == 403 and body.get("error") == "content_blocked":
        return "blocked"
    if status in (200, 202):
        return "allowed"
    return f"error {status} {body.get('error')}"


@contextmanager
def eval_client(data_dir: Path | None = None) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app as the tests build it (placeholder backend, no queue workers) and a key with
    credits enough for every case."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            data_dir=data_dir or Path(scratch),
            backend="placeholder",
            public_url="http://testserver",
            free_daily_credits=0,
            rate_limit_free="10000000/minute",
            rate_limit_read="10000000/minute",
            queue_workers=0,
            provenance_workers=0,
        )
        app = create_app(settings)
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session, name="moderation-eval")
            ledger.grant(session=session, account_id=issued.account_id, amount=10_000_000)
        with TestClient(app) as client:
            yield client, {"Authorization": f"Bearer {issued.key}"}


def run(client: TestClient, headers: dict[str, str], cases: list[dict[str, Any]]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        response = client.post("/api/v1/generate", json=request_body(case), headers=headers)
        outcomes.append(Outcome(case, verdict_of(response.status_code, response.json())))
    return outcomes


@dataclass(frozen=True)
class Figures:
    blocked: int
    must_block: int
    allowed: int
    must_allow: int

    @property
    def block_rate(self) -> float:
        return self.blocked / self.must_block if self.must_block else 1.0

    @property
    def allow_rate(self) -> float:
        return self.allowed / self.must_allow if self.must_allow else 1.0


def figures(outcomes: list[Outcome]) -> Figures:
    counts: Counter[tuple[str, bool]] = Counter(
        (outcome.case["expect"], outcome.correct) for outcome in outcomes
    )
    return Figures(
        blocked=counts["block", True],
        must_block=counts["block", True] + counts["block", False],
        allowed=counts["allow", True],
        must_allow=counts["allow", True] + counts["allow", False],
    )


def by_category(outcomes: list[Outcome]) -> dict[str, Figures]:
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.case["category"], []).append(outcome)
    return {category: figures(group) for category, group in sorted(grouped.items())}
