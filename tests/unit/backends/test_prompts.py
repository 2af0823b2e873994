"""Prompt building and the trait sanitiser (limner.domain.prompts), exhaustively: it is pure."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from limner.domain.prompts import (
    ADULT_SAFETY_NEGATIVE,
    STYLE_PRESETS,
    build_prompt,
    describe_appearance,
    sanitize_trait,
)
from limner.domain.requests import MAX_TRAIT_CHARS, Appearance
from limner.domain.styles import Gender, Style

FORBIDDEN = set("()[]{}<>:")

# Text biased towards prompt syntax, plus arbitrary unicode.
syntaxy = st.text(
    alphabet=st.sampled_from(list("()[]{}<>:\\|,.;_-' \t\nBREAKbreak0123456789lora:embedding")),
    max_size=120,
)
any_text = st.one_of(syntaxy, st.text(max_size=200))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("blonde", "blonde"),
        ("(blonde:1.5)", "blonde"),
        ("((very long)) hair", "very long hair"),
        ("[red|blue]", "red blue"),
        ("{curly}", "curly"),
        ("red BREAK green", "red green"),
        ("BREBREAKAK", "BRE AK"),
        ("brown <lora:some-style:0.8>", "brown"),
        ("green embedding:bad-neg", "green"),
        ("auburn \\(escaped\\)", "auburn escaped"),
        ("  wavy \n\t  hair  ", "wavy hair"),
        ("salt-and-pepper", "salt-and-pepper"),
        ("\uff08fullwidth\uff1a1.2\uff09", "fullwidth"),  # NFKC folds fullwidth forms
        ("a, b; c. d!", "a b c d"),
        ("under_score", "under score"),
        ("(:1.5)", ""),
        ("<<>>", ""),
        ("", ""),
    ],
)
def test_sanitize_examples(raw: str, clean: str) -> None:
    assert sanitize_trait(raw) == clean


def test_sanitize_cuts_at_a_word_boundary() -> None:
    words = "long flowing wavy chestnut brown hair with subtle highlights everywhere"
    assert sanitize_trait(words) == "long flowing wavy chestnut brown hair with subtle highlights"
    assert sanitize_trait("x" * 100) == "x" * MAX_TRAIT_CHARS
    assert sanitize_trait("one two three", max_chars=8) == "one two"


@given(any_text)
@example("BRE(BREAK)AK")
@example("(x:1.5)BREAK<lora:a:1>")
def test_sanitized_text_has_no_prompt_syntax(raw: str) -> None:
    clean = sanitize_trait(raw)
    assert not FORBIDDEN & set(clean)
    assert "BREAK" not in clean
    assert "\\" not in clean
    assert len(clean) <= MAX_TRAIT_CHARS
    assert clean == clean.strip() and "  " not in clean


@given(any_text)
def test_sanitize_is_idempotent(raw: str) -> None:
    once = sanitize_trait(raw)
    assert sanitize_trait(once) == once


@given(st.integers(min_value=18, max_value=70), st.sampled_from([None, *Gender]))
def test_appearance_always_states_an_adult_age(age: int, gender: Gender | None) -> None:
    text = describe_appearance(Appearance(age=age, gender=gender))
    assert text.startswith(f"{age}-year-old adult ")


def test_appearance_phrase() -> None:
    appearance = Appearance(
        gender=Gender.female,
        age=32,
        ethnicity="latina",
        hair_style="curly",
        hair_color="(brunette:1.4)",
        eye_color="green",
        body_type="athletic",
        breast_size="medium",
    )
    assert describe_appearance(appearance) == (
        "32-year-old adult latina woman, curly brunette hair, green eyes, athletic build, "
        "medium bust"
    )


def test_appearance_without_traits_is_still_adult() -> None:
    assert describe_appearance(None) == "adult person"
    assert describe_appearance(Appearance(gender=Gender.male)) == "adult man"
    assert describe_appearance(Appearance(gender=Gender.trans, age=40)) == (
        "40-year-old adult transgender person"
    )


def test_appearance_drops_traits_that_sanitise_to_nothing_and_gendered_ones() -> None:
    appearance = Appearance(gender=Gender.male, hair_color="(((:2)))", breast_size="large")
    assert describe_appearance(appearance) == "adult man"
    assert describe_appearance(Appearance(hair_style="bun")) == "adult person, bun hair"


@pytest.mark.parametrize("style", [Style.realistic, Style.anime])
def test_plain_styles(style: Style) -> None:
    built = build_prompt(prompt="a lighthouse at dusk", style=style)
    assert built.positive == f"{STYLE_PRESETS[style].positive}, a lighthouse at dusk"
    assert built.negative == STYLE_PRESETS[style].negative
    assert "adult" not in built.positive


def test_realistic_and_anime_presets_read_as_intended() -> None:
    assert STYLE_PRESETS[Style.realistic].positive.startswith("photo, natural light, detailed")
    assert STYLE_PRESETS[Style.anime].positive.startswith("anime style, cel shading")


def test_adult_style_prompt() -> None:
    built = build_prompt(
        prompt="  sitting at a   cafe table ",
        style=Style.nude,
        appearance=Appearance(gender=Gender.female, age=29, hair_color="red"),
        negative_prompt="hats",
        trigger_words="<adult-style-trigger>",
    )
    assert built.positive == (
        "<adult-style-trigger>, "
        + STYLE_PRESETS[Style.nude].positive
        + ", 29-year-old adult woman, red hair, sitting at a cafe table"
    )
    assert STYLE_PRESETS[Style.nude].positive.startswith("selfie")
    assert built.negative == (
        f"{ADULT_SAFETY_NEGATIVE}, {STYLE_PRESETS[Style.nude].negative}, hats"
    )


def test_operator_negative_replaces_the_builtin_but_never_the_safety_terms() -> None:
    built = build_prompt(prompt="p", style=Style.nude, style_negative="operator words")
    assert built.negative == f"{ADULT_SAFETY_NEGATIVE}, operator words"
    assert build_prompt(prompt="p", style=Style.anime, style_negative="").negative == ""
    assert build_prompt(prompt="p", style="anime", style_negative="x").negative == "x"  # type: ignore[arg-type]


def test_trigger_words_lead_for_every_style() -> None:
    built = build_prompt(prompt="a lighthouse at dusk", style=Style.realistic, trigger_words="<t>")
    assert built.positive.startswith("<t>, photo")


traits = st.one_of(st.none(), st.text(min_size=1, max_size=MAX_TRAIT_CHARS))


@given(
    gender=st.sampled_from([None, *Gender]),
    ethnicity=traits,
    hair_style=traits,
    hair_color=traits,
    eye_color=traits,
    body_type=traits,
    breast_size=traits,
)
def test_traits_cannot_add_syntax_to_the_prompt(**traits_: str | None) -> None:
    appearance = Appearance(age=30, **traits_)  # type: ignore[arg-type]
    built = build_prompt(prompt="a lighthouse at dusk", style=Style.nude, appearance=appearance)
    assert not FORBIDDEN & set(built.positive)
    assert "BREAK" not in built.positive
    assert "30-year-old adult" in built.positive
    assert built.negative.startswith(ADULT_SAFETY_NEGATIVE)
