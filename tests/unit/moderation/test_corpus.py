"""The public corpus through `default_moderator()`: 100% refused, 100% allowed."""

from __future__ import annotations

import pytest

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField, default_moderator
from tests.unit.moderation.corpus import MUST_ALLOW, MUST_BLOCK, Fields, request_body

RULES = {"minor_age", "minor_term", "real_person_sexual", "real_person_adult", "operator_term"}


@pytest.fixture(scope="module")
def moderator() -> RuleModerator:
    return default_moderator()


def _request(style: str, fields: Fields) -> ModerationRequest:
    return ModerationRequest(
        style=Style(style), fields=tuple(TextField(path, text) for path, text in fields.items())
    )


@pytest.mark.parametrize(("style", "fields", "blocked_field"), MUST_BLOCK)
def test_must_block(
    moderator: RuleModerator, style: str, fields: Fields, blocked_field: str
) -> None:
    verdict = moderator.check(_request(style, fields))

    assert not verdict.allowed
    assert verdict.field == blocked_field
    assert verdict.rule in RULES


@pytest.mark.parametrize(("style", "fields"), MUST_ALLOW)
def test_must_allow(moderator: RuleModerator, style: str, fields: Fields) -> None:
    assert moderator.check(_request(style, fields)).allowed


def test_corpus_cases_fit_the_request_contract() -> None:
    # The HTTP tests send these bodies as they are, so each must pass request validation.
    from limner.domain.requests import parse_generate_request

    for case in [*MUST_BLOCK, *MUST_ALLOW]:
        style, fields = case[0], case[1]
        parsed = parse_generate_request(request_body(style, fields))  # raises if invalid
        assert parsed.style.value == style
        assert parsed.prompt == fields["prompt"]


def test_request_body_nests_dotted_paths() -> None:
    fields = {"prompt": "p", "appearance.body_type": "b", "snap_caption.text": "c"}

    body = request_body("nude", fields)

    assert body == {
        "style": "nude",
        "prompt": "p",
        "appearance": {"body_type": "b"},
        "snap_caption": {"text": "c"},
    }
