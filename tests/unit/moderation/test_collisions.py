"""Adjacent English words are not joined into another language's minor term, and a term that
folds to an English word is no evidence in an English text (found by running every language's
terms against wordfreq's English words, and every pair of frequent words joined)."""

from __future__ import annotations

import pytest

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField
from limner.moderation.canonical import canonical_forms
from limner.moderation.rulesets import english_collision


@pytest.fixture(scope="module")
def moderator() -> RuleModerator:
    return RuleModerator(semantic=None)


def _allowed(moderator: RuleModerator, text: str) -> bool:
    request = ModerationRequest(style=Style.nude, fields=(TextField("prompt", text),))
    return moderator.check(request).allowed


@pytest.mark.parametrize(
    ("text", "kept"),
    (
        ("a woman born in 1996", "born in"),  # not "bornin", Icelandic "the children"
        ("men or women at the bar", "men or"),  # not "menor", Spanish "a minor"
        ("no no no, smiling", "no no"),  # not "nono", Italian "ninth"
    ),
)
def test_two_ordinary_words_stay_two_words(text: str, kept: str) -> None:
    assert kept in canonical_forms(text)[0]


@pytest.mark.parametrize("text", ("ch ild", "mi nor", "t ee n", "ki d"))
def test_a_split_word_is_still_joined(text: str) -> None:
    assert " " not in canonical_forms(text)[0]


@pytest.mark.parametrize(
    ("code", "term"), (("da", "børn"), ("es", "niña"), ("cy", "plant"), ("de", "kinder"))
)
def test_a_term_that_folds_to_an_english_word_is_a_collision(code: str, term: str) -> None:
    assert english_collision(code, term)
    assert not english_collision("en", term)
    assert not english_collision("ca", "infants")  # an English minor word as well


@pytest.mark.parametrize(
    "text",
    (
        "a woman born in 1996, reading in a hotel room",
        "nina, 25, beach selfie",
        "kind eyes, soft smile, bedroom",
        "men or women at the bar, 30",
    ),
)
def test_english_texts_are_allowed(moderator: RuleModerator, text: str) -> None:
    assert _allowed(moderator, text)


@pytest.mark.parametrize(
    "text", ("una niña", "to børn på stranden om sommeren", "una niña en la playa con su madre")
)
def test_the_terms_still_count_in_their_language(moderator: RuleModerator, text: str) -> None:
    assert not _allowed(moderator, text)


@pytest.mark.parametrize(
    "text",
    (
        "age 0x1E, bedroom selfie",  # a hexadecimal 30, not leetspeak letters
        "bathroom selfie, a love song on the radio",  # no person is described
        "the drummer of a local band, hotel room",  # a generic band role is nobody
    ),
)
def test_adult_texts_the_semantic_layer_once_refused(text: str) -> None:
    request = ModerationRequest(style=Style.nude, fields=(TextField("prompt", text),))
    assert RuleModerator().check(request).allowed


@pytest.mark.parametrize(
    ("text", "rule"),
    (
        ("age 0x0F, bedroom selfie", "minor_age"),
        ("Greta Gerwig, hotel", "real_person_adult"),  # a surname on no list
        ("Léa Seydoux, hotel room", "real_person_adult"),
        ("a 七五三 kimono, hotel room", "minor_term"),
    ),
)
def test_refused_after_the_tuning(moderator: RuleModerator, text: str, rule: str) -> None:
    request = ModerationRequest(style=Style.nude, fields=(TextField("prompt", text),))
    assert moderator.check(request).rule == rule


@pytest.mark.parametrize(
    ("text", "allowed"),
    (
        ("فتاة في الرابعة عشرة، غرفة فندق", False),  # in her fourteenth (year)
        ("في الخامس عشر من مارس، غرفة فندق", True),  # on the fifteenth of March
        ("امرأة في الخامسة والثلاثين، غرفة فندق", True),  # in her thirty-fifth
    ),
)
def test_an_arabic_ordinal_age_after_fi(moderator: RuleModerator, text: str, allowed: bool) -> None:
    assert _allowed(moderator, text) is allowed
