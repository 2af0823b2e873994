"""`generation.characters.apply_to_body`: the character's style and traits in a request body,
the request's own traits winning field by field (pure; the HTTP path is tests/api)."""

from __future__ import annotations

import pytest

from limner.backends.base import CharacterReferences
from limner.domain.requests import parse_generate_request
from limner.domain.styles import Style
from limner.errors import ValidationFailed
from limner.generation.characters import CharacterUse, apply_to_body


class NoCache:
    def load(self, model_key: str) -> bytes | None:
        return None

    def store(self, model_key: str, data: bytes) -> None:
        raise AssertionError("not used here")


def character(style: Style, appearance: dict[str, object] | None = None) -> CharacterUse:
    return CharacterUse(
        id="chr_aaaaaaaaaaaaaaaa",
        name="Eve",
        style=style,
        description=None,
        appearance=appearance,
        seed=7,
        references=CharacterReferences("chr_aaaaaaaaaaaaaaaa", "d", lambda: (), NoCache()),
    )


def test_the_style_is_filled_in_or_must_match() -> None:
    anime = character(Style.anime)
    assert apply_to_body({"prompt": "a harbour"}, anime)["style"] == "anime"
    assert apply_to_body({"prompt": "a harbour", "style": "anime"}, anime)["style"] == "anime"
    with pytest.raises(ValidationFailed) as refused:
        apply_to_body({"prompt": "a harbour", "style": "realistic"}, anime)
    assert refused.value.field == "character_id"
    # not a style at all: left for the request's own validation to name `style`
    assert apply_to_body({"prompt": "a harbour", "style": "cartoon"}, anime)["style"] == "cartoon"


def test_request_traits_win_field_by_field_and_stay_strict() -> None:
    eve = character(Style.nude, {"gender": "female", "age": 34, "hair_color": "auburn"})
    body = apply_to_body({"prompt": "a portrait", "appearance": {"hair_color": "silver"}}, eve)
    request = parse_generate_request(body)
    assert request.appearance is not None
    assert (request.appearance.gender, request.appearance.age) == ("female", 34)
    assert request.appearance.hair_color == "silver"
    too_young = apply_to_body({"prompt": "a portrait", "appearance": {"age": 17}}, eve)
    with pytest.raises(ValidationFailed) as refused:
        parse_generate_request(too_young)
    assert refused.value.field == "appearance.age"
