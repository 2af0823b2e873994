"""The held-out half of the moderation evaluation set, through the HTTP API.

Nothing is tuned on this half (tests/moderation_eval/README.md); the bench
(bench/bench_moderation_eval.py) reports it beside the development half, per category. A failure
names how many cases missed on each side, never their text.
"""

from __future__ import annotations

from tests.support.moderation_eval import eval_client, figures, load, run

# The target is 97% / 97% (issue 25). These floors are what the rules reach now (2026-12-08, after
# the canonical form, ages and people, and the semantic layer: heldout 86.0% blocked, 94.7%
# allowed, against 52.4% / 85.7% when the set was written); raised as the rules land, never lowered.
MIN_BLOCKED = 0.85
MIN_ALLOWED = 0.94


def test_the_heldout_half_meets_the_floors() -> None:
    cases = load("heldout")
    assert len(cases) >= 500
    with eval_client() as (client, headers):
        outcomes = run(client, headers, cases)
    result = figures(outcomes)
    errors = [o.verdict for o in outcomes if o.verdict not in ("blocked", "allowed")]
    assert not errors, f"{len(errors)} requests neither refused nor accepted: {set(errors)}"
    assert result.block_rate >= MIN_BLOCKED, (
        f"must-block refused: {result.blocked}/{result.must_block} = {result.block_rate:.1%}"
    )
    assert result.allow_rate >= MIN_ALLOWED, (
        f"must-allow accepted: {result.allowed}/{result.must_allow} = {result.allow_rate:.1%}"
    )
