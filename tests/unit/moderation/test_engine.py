"""The rules of `RuleModerator`: which combinations are refused and what the verdict says."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

import limner.moderation as moderation
from limner.domain.styles import Style
from limner.moderation import (
    ModerationRequest,
    RuleModerator,
    TextField,
    TextModerator,
    Verdict,
    default_moderator,
    read_term_file,
)


@pytest.fixture(scope="module")
def moderator() -> RuleModerator:
    return default_moderator()


def _check(moderator: RuleModerator, style: Style, **fields: str) -> Verdict:
    texts = tuple(TextField(path.replace("__", "."), text) for path, text in fields.items())
    return moderator.check(ModerationRequest(style=style, fields=texts))


def test_an_allowed_verdict_says_whether_the_text_is_sexual(moderator: RuleModerator) -> None:
    """The planner screens input pictures for apparent minors when the prompt is sexual."""
    assert _check(moderator, Style.realistic, prompt="a nude figure study in charcoal").sexual
    assert _check(moderator, Style.realistic, prompt="a lighthouse at dusk") == Verdict.allow()
    assert not _check(moderator, Style.nude, prompt="a portrait by a window").sexual


def test_a_minor_alone_is_fine_outside_the_adult_style(moderator: RuleModerator) -> None:
    assert _check(moderator, Style.realistic, prompt="a child flying a kite").allowed
    assert _check(moderator, Style.anime, prompt="a 12 year old at school").allowed


def test_a_minor_alone_is_refused_in_the_adult_style(moderator: RuleModerator) -> None:
    assert _check(moderator, Style.nude, prompt="a child") == Verdict.block("prompt", "minor_term")
    assert _check(moderator, Style.nude, prompt="a 12 year old") == Verdict.block(
        "prompt", "minor_age"
    )


@pytest.mark.parametrize("style", list(Style))
def test_minor_with_nudity_wording_is_refused_in_every_style(
    moderator: RuleModerator, style: Style
) -> None:
    assert not _check(moderator, style, prompt="naked 15yo").allowed


def test_fields_are_read_together_and_the_minor_field_is_named(moderator: RuleModerator) -> None:
    verdict = _check(
        moderator,
        Style.realistic,
        prompt="nude portrait",
        appearance__body_type="slim",
        snap_caption__text="a kid",
    )

    assert verdict == Verdict.block("snap_caption.text", "minor_term")


def test_the_verdict_never_carries_the_matched_text(moderator: RuleModerator) -> None:
    verdict = _check(moderator, Style.nude, prompt="a zorblax schoolgirl")

    assert "schoolgirl" not in repr(verdict)


def test_real_people(moderator: RuleModerator) -> None:
    assert _check(moderator, Style.realistic, prompt="Taylor Swift on stage").allowed
    assert _check(moderator, Style.realistic, prompt="Taylor Swift, topless") == Verdict.block(
        "prompt", "real_person_sexual"
    )
    assert _check(
        moderator, Style.nude, prompt="a selfie", snap_caption__text="xoxo Taylor Swift"
    ) == Verdict.block("snap_caption.text", "real_person_adult")


def test_operator_additions(tmp_path: Path) -> None:
    names = tmp_path / "people.txt"
    names.write_text("# local figures\nJane Q Mayor\n", encoding="utf-8")
    moderator = default_moderator(
        extra_real_people=read_term_file(names), extra_blocked_terms=["zorblax"]
    )

    assert _check(moderator, Style.realistic, prompt="a Z0RBLAX at dusk") == Verdict.block(
        "prompt", "operator_term"
    )
    assert _check(moderator, Style.nude, prompt="jane q. mayor") == Verdict.block(
        "prompt", "real_person_adult"
    )
    # operator additions add rules; the shipped ones still hold
    assert not _check(moderator, Style.nude, prompt="a kid").allowed


def test_minor_rules_come_before_operator_terms() -> None:
    moderator = RuleModerator(extra_blocked_terms=["lighthouse"])

    verdict = _check(moderator, Style.nude, prompt="a lighthouse", snap_caption__text="15yo")

    assert verdict == Verdict.block("snap_caption.text", "minor_age")


@pytest.mark.parametrize(
    "text", ["l " * 500, "i" * 1000, "ii " * 333, "t" + "e" * 999, "x" * 1000, "k i " * 250]
)
def test_long_repetitive_input_is_read_in_reasonable_time(
    moderator: RuleModerator, text: str
) -> None:
    # Before runs were matched possessively, "l l l ..." backtracked for minutes; a regression
    # shows up here as a hang (pytest-timeout), not as a timing assertion.
    assert _check(moderator, Style.nude, prompt=text).allowed


def test_an_empty_request_is_allowed(moderator: RuleModerator) -> None:
    assert moderator.check(ModerationRequest(style=Style.nude, fields=())).allowed


def test_rule_moderator_is_a_text_moderator(moderator: RuleModerator) -> None:
    checker: TextModerator = moderator

    assert checker.check(ModerationRequest(Style.realistic, (TextField("prompt", "a cat"),)))


def test_package_exports_match_all() -> None:
    names = {name for name in vars(moderation) if not name.startswith("_")}
    public = {name for name in names if not isinstance(getattr(moderation, name), ModuleType)}

    assert set(moderation.__all__) == public - {"annotations"}
