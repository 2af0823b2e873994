"""Text moderation latency per request (p50/p99), with language identification and its share.

    python bench/bench_moderation.py [--rounds 20]

Requests: the public English corpus, the multilingual corpus (every supported language, in the
prompt and in a caption) and a 1000-character prompt. For each check: the whole moderation time
and the time spent identifying languages inside it (measured by wrapping `identify`). Then the
same bodies through the HTTP API (`POST /api/v1/generate`, `"async": true` with no queue worker,
so a request is parse + moderation + reservation + queue, without rendering), to give the share
of the request time that moderation and identification take. Also the false-refusal rate of the
multilingual must-allow corpus.

Writes bench/results/moderation.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.moderation.corpus import MUST_ALLOW, MUST_BLOCK, request_body  # noqa: E402
from tests.unit.moderation.corpus_languages import LANGUAGES  # noqa: E402

from limner.domain.requests import parse_generate_request  # noqa: E402
from limner.moderation import ModerationRequest, default_moderator  # noqa: E402
from limner.moderation.canonical import canonical_forms  # noqa: E402
from limner.moderation.languages import RULE_LANGUAGES  # noqa: E402
from limner.service import moderation_fields  # noqa: E402


def corpus_cases() -> list[tuple[str, dict[str, str]]]:
    cases = [(style, fields) for style, fields, _ in MUST_BLOCK] + list(MUST_ALLOW)
    for data in LANGUAGES.values():
        for text in data["block_adult"] + data["allow_adult"]:
            cases.append(("nude", {"prompt": text}))
            cases.append(("nude", {"prompt": "a selfie at the beach", "snap_caption.text": text}))
        cases += [(style, {"prompt": text}) for style, text in data["block_any"]]
        cases += [(style, {"prompt": text}) for style, text in data["allow_other"]]
    return cases


def requests_from_corpus() -> list[ModerationRequest]:
    cases = corpus_cases()
    built = []
    for style, fields in cases:
        request = parse_generate_request({**request_body(style, fields)})
        built.append(
            ModerationRequest(style=request.style, fields=tuple(moderation_fields(request)))
        )
    long_prompt = ("a quiet harbour at dawn with fishing boats, gulls and morning mist " * 15)[
        :1000
    ]
    request = parse_generate_request({"prompt": long_prompt})
    built.append(ModerationRequest(style=request.style, fields=tuple(moderation_fields(request))))
    return built


def main() -> None:
    import limner.moderation.engine as engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    moderator = default_moderator()
    requests = requests_from_corpus()
    for request in requests:  # warm-up: compiles the patterns, loads the language model
        moderator.check(request)

    identifying = [0.0]
    real_identify = engine.identify

    def timed_identify(text: str):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return real_identify(text)
        finally:
            identifying[0] += time.perf_counter() - started

    engine.identify = timed_identify  # type: ignore[assignment]
    timings: list[float] = []
    cpu_timings: list[float] = []
    id_timings: list[float] = []
    for _ in range(args.rounds):
        for request in requests:
            identifying[0] = 0.0
            # Every check computes its canonical forms afresh, as for a text never seen before:
            # a repeated text would otherwise be answered from canonical_forms' cache.
            canonical_forms.cache_clear()
            started = time.perf_counter()
            cpu_started = time.thread_time()
            moderator.check(request)
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.thread_time() - cpu_started)
            id_timings.append(identifying[0])
    engine.identify = real_identify
    http = http_timings(max(1, args.rounds // 10))
    refused, allowed_total = false_refusals(moderator)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    share_of_check = sum(id_timings) / sum(timings)
    share_of_request = sum(id_timings) / len(id_timings) / (sum(http) / len(http))
    check_of_request = sum(timings) / len(timings) / (sum(http) / len(http))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = "\n".join(
        [
            "# Text moderation latency per request",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs (a shared 2-core VM, shared "
            f"with other jobs during the run), Python {platform.python_version()}; one run "
            f"({when}). Each check computes the canonical forms afresh (their cache is cleared).",
            f"{len(requests)} requests (the English corpus, the multilingual corpus in the prompt "
            f"and in a caption, a 1000-character prompt) x {args.rounds} rounds = "
            f"{len(timings)} checks; HTTP: {len(http)} requests.",
            "",
            "| measure | p50 ms | p99 ms | mean ms |",
            "|---|---|---|---|",
            f"| moderation check (all rules, canonical form, {len(RULE_LANGUAGES)} languages' "
            f"rules) | {pct(timings, 0.5):.3f} "
            f"| {pct(timings, 0.99):.3f} | {statistics.mean(timings) * 1000:.3f} |",
            f"| the same checks' CPU time (this thread's; what waiting for a shared core does not "
            f"add) | {pct(cpu_timings, 0.5):.3f} | {pct(cpu_timings, 0.99):.3f} "
            f"| {statistics.mean(cpu_timings) * 1000:.3f} |",
            f"| language identification inside it (wall) | {pct(id_timings, 0.5):.3f} "
            f"| {pct(id_timings, 0.99):.3f} | {statistics.mean(id_timings) * 1000:.3f} |",
            f"| HTTP `POST /api/v1/generate` (async, not rendered) | {pct(http, 0.5):.3f} "
            f"| {pct(http, 0.99):.3f} | {statistics.mean(http) * 1000:.3f} |",
            "",
            f"Language identification: {share_of_check:.1%} of the moderation check, "
            f"{share_of_request:.1%} of the HTTP request time; the whole moderation check is "
            f"{check_of_request:.1%} of the request time (a rendered image adds the backend's "
            "time on top, which makes both shares smaller still).",
            "",
            f"False refusals on the multilingual must-allow corpus (adult style, in the prompt, "
            f"two traits and the caption; other styles' near misses in the prompt): "
            f"{refused} of {allowed_total} ({refused / allowed_total:.1%}).",
            "",
        ]
    )
    print(report)
    (ROOT / "bench" / "results" / "moderation.md").write_text(report)


def http_timings(rounds: int) -> list[float]:
    import tempfile

    from fastapi.testclient import TestClient

    from limner import keys, ledger
    from limner.api import create_app
    from limner.config import Settings

    timings: list[float] = []
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            backend="placeholder",
            free_daily_credits=0,
            rate_limit_free="1000000/minute",
            rate_limit_read="1000000/minute",
            queue_workers=0,
        )
        app = create_app(settings)
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=1_000_000)
        headers = {"Authorization": f"Bearer {issued.key}"}
        bodies = [
            {**request_body(style, fields), "async": True} for style, fields in corpus_cases()
        ]
        with TestClient(app) as client:
            for body in bodies[:20]:  # warm-up
                client.post("/api/v1/generate", json=body, headers=headers)
            for _ in range(rounds):
                for body in bodies:
                    started = time.perf_counter()
                    client.post("/api/v1/generate", json=body, headers=headers)
                    timings.append(time.perf_counter() - started)
    return timings


def false_refusals(moderator) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from tests.unit.moderation.test_languages_corpus import ALLOW_ADULT, ALLOW_OTHER, adult_request

    from limner.domain.styles import Style
    from limner.moderation import TextField

    checks = [adult_request(field, text) for _, text, field in ALLOW_ADULT]
    checks += [
        ModerationRequest(style=Style(style), fields=(TextField("prompt", text),))
        for _, style, text in ALLOW_OTHER
    ]
    return sum(not moderator.check(request).allowed for request in checks), len(checks)


if __name__ == "__main__":
    main()
