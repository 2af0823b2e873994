"""The multilingual corpus through `default_moderator()`, in every free-text field.

The HTTP tests (tests/api/test_moderation_languages_http.py) send the same cases through the API;
these run in milliseconds and say which rule and language matched when one fails.
"""

from __future__ import annotations

import pytest

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField, default_moderator
from limner.moderation.languages import SUPPORTED
from tests.unit.moderation.corpus_languages import LANGUAGES, UNSUPPORTED

#: every free-text field of an adult-style request (prompt beside a neutral prompt for the others)
ADULT_FIELDS = ("prompt", "appearance.body_type", "appearance.hair_style", "snap_caption.text")
NEUTRAL = "a selfie at the beach"

BLOCK_ADULT = [
    (code, text, field)
    for code, data in LANGUAGES.items()
    for text in data["block_adult"]
    for field in ADULT_FIELDS
]
BLOCK_ANY = [
    (code, style, text) for code, data in LANGUAGES.items() for style, text in data["block_any"]
]
ALLOW_ADULT = [
    (code, text, field)
    for code, data in LANGUAGES.items()
    for text in data["allow_adult"]
    for field in ADULT_FIELDS
]
ALLOW_OTHER = [
    (code, style, text) for code, data in LANGUAGES.items() for style, text in data["allow_other"]
]


@pytest.fixture(scope="module")
def moderator() -> RuleModerator:
    return default_moderator()


def adult_request(field: str, text: str) -> ModerationRequest:
    fields = [TextField(field, text)]
    if field != "prompt":
        fields.insert(0, TextField("prompt", NEUTRAL))
    return ModerationRequest(style=Style.nude, fields=tuple(fields))


def test_the_corpus_covers_every_supported_language() -> None:
    assert set(LANGUAGES) == set(SUPPORTED)
    for data in LANGUAGES.values():
        assert len(data["block_adult"]) >= 6 and len(data["allow_adult"]) >= 4


@pytest.mark.parametrize(("code", "text", "field"), BLOCK_ADULT)
def test_adult_style_blocks_minors_in_every_field(
    moderator: RuleModerator, code: str, text: str, field: str
) -> None:
    review = moderator.review(adult_request(field, text))

    assert not review.verdict.allowed, (code, text)
    assert review.verdict.field == field
    assert review.verdict.rule in {"minor_age", "minor_term"}


@pytest.mark.parametrize(("code", "style", "text"), BLOCK_ANY)
def test_minor_with_nudity_is_blocked_in_every_style(
    moderator: RuleModerator, code: str, style: str, text: str
) -> None:
    request = ModerationRequest(style=Style(style), fields=(TextField("prompt", text),))

    verdict = moderator.check(request)

    assert not verdict.allowed, (code, text)
    assert verdict.rule in {"minor_age", "minor_term"}


def test_adult_style_false_refusal_rate_is_at_most_five_percent(moderator: RuleModerator) -> None:
    refused = [
        (code, text, field)
        for code, text, field in ALLOW_ADULT
        if not moderator.check(adult_request(field, text)).allowed
    ]

    assert len(refused) <= 0.05 * len(ALLOW_ADULT), refused


@pytest.mark.parametrize(("code", "style", "text"), ALLOW_OTHER)
def test_near_misses_pass_in_their_style(
    moderator: RuleModerator, code: str, style: str, text: str
) -> None:
    request = ModerationRequest(style=Style(style), fields=(TextField("prompt", text),))

    assert moderator.check(request).allowed, (code, text, moderator.review(request).match)


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_adult_style_refuses_unsupported_languages(moderator: RuleModerator, text: str) -> None:
    verdict = moderator.check(adult_request("prompt", text))

    assert (verdict.allowed, verdict.rule) == (False, "unsupported_language")
    assert verdict.message is not None and "Japanese (ja)" in verdict.message


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_other_styles_accept_unsupported_languages(moderator: RuleModerator, text: str) -> None:
    request = ModerationRequest(style=Style.realistic, fields=(TextField("prompt", text),))

    assert moderator.check(request).allowed


def test_trait_values_are_not_identified(moderator: RuleModerator) -> None:
    # A one-word trait in another language is read with every rule set, never refused for its
    # language.
    request = ModerationRequest(
        style=Style.nude,
        fields=(TextField("prompt", NEUTRAL), TextField("appearance.hair_color", "ξανθά")),
    )

    review = moderator.review(request)

    assert review.verdict.allowed
    assert review.languages["appearance.hair_color"] == ()
    assert review.languages["prompt"][0] == "en"


def test_ambiguous_words_count_where_their_language_is_likely(moderator: RuleModerator) -> None:
    english = adult_request("prompt", "a kind woman smiling in a garden")
    german = adult_request("prompt", "ein Kind im Garten mit seiner Mutter")
    trait = adult_request("appearance.body_type", "kind")

    assert moderator.check(english).allowed
    assert moderator.check(german).rule == "minor_term"
    assert moderator.check(trait).rule == "minor_term"


def test_mixed_language_text_is_read_with_every_rule_set(moderator: RuleModerator) -> None:
    # English around a Russian word: identification says English, the Russian rules still apply.
    verdict = moderator.check(adult_request("prompt", "a photo of a pretty школьница at the beach"))

    assert (verdict.allowed, verdict.rule) == (False, "minor_term")


@pytest.mark.parametrize(
    "text",
    [
        "a joshi kousei at the beach",
        "shoujo selfie in a hotel",
        "a devochka on a bed",
        "a luoli character",
        "eorini at the pool",
        "chhoti ladki selfie",
    ],
)
def test_romanised_minor_words_are_refused(moderator: RuleModerator, text: str) -> None:
    # Prompts often write Japanese, Chinese, Korean, Russian or Hindi words in Latin letters.
    verdict = moderator.check(adult_request("prompt", text))

    assert (verdict.allowed, verdict.rule) == (False, "minor_term")
