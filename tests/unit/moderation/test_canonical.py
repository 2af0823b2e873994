"""The canonical form (`canonical`): each evasion reads as the word it hides, ordinary text stays.

The rules read the original text and this form (`engine.analyze_field`); the engine-level tests
here check that a hidden minor word is refused through it and that ordinary adult requests are not.
"""

from __future__ import annotations

import pytest

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, RuleModerator, TextField
from limner.moderation.canonical import canonical, canonical_forms
from limner.moderation.engine import analyze_field
from limner.moderation.languages import foreign_evidence, identify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # encodings
        ("%6B%69%64 at home", "kid at home"),
        ("&#107;id at home", "kid at home"),
        ("6B 69 64 at home", "kid at home"),
        # emoji: their names, the ones of children as children
        ("a \U0001f467 at home", "a young girl at home"),
        ("a \U0001f467\U0001f3fe at home", "a young girl at home"),
        ("a lighthouse \U0001f305", "a lighthouse sunrise"),
        # symbols and multi-character letters
        ("t\u20ac\u20acn", "teen"),
        ("\u00a2hild", "child"),
        ("+een", "teen"),
        ("<hild", "child"),
        ("|<id", "kid"),
        ("j(_)n!or", "junior"),
        ("sch\u00b0\u00b0l", "school"),
        ("n*de", "nude"),
        # confusables of other scripts fold to the Latin word
        ("\u03bai\u0501", "kid"),  # Greek kappa, Cyrillic komi de
        ("\ua4da\ua4e7\ua4f2\ua4e1\ua4d3", "chlld"),  # Lisu capitals (l and i match alike)
        ("\u13df\u13bb", "ch"),  # Cherokee
        # words of other scripts are transliterated
        ("\u03c0\u03b1\u03b9\u03b4\u03af", "paidi"),
        ("\u0440\u0435\u0431\u0435\u043d\u043e\u043a", "rebenok"),
        # the NATO alphabet, three letters or more, a comma ends it
        ("kilo india delta, hotel room", "kid hotel room"),
        ("hotel delta", "hotel delta"),
        # split, joined and spaced words
        ("ch ild", "child"),
        ("c h i l d", "child"),
        ("#youngteengirl", "youngteen girl"),
        ("#kidsofinstagram", "kids of instagram"),
        # a reversed word is read forwards
        ("a dlihc at home", "a child at home / emoh ta child a"),
    ],
)
def test_each_evasion_reads_as_its_word(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a lighthouse at dusk",
        "mirror selfie, messy bedroom",
        "farm girl, 28, hayloft, sunset",
        "Kidderminster station",
        "Essex coast at low tide",
        "Bratislava old town",
        "#SunsetOverTheLake",
        "hotel delta lounge",
        "5 cats and 12 dogs",
    ],
)
def test_ordinary_text_keeps_its_words(text: str) -> None:
    forms = canonical_forms(text)
    assert len(forms) == 1
    words = [word.lower().strip(",#") for word in text.split()]
    assert forms[0] == " ".join(words).replace(",", "")


def test_reversed_and_turned_text_add_forms() -> None:
    assert canonical_forms("loohcs hgih") == ("loohcs hgih", "high school")
    # "teen" written upside down: turned n, two turned e, turned t, right to left
    assert "teen" in canonical_forms("u\u01dd\u01dd\u0287")[1:]


def test_the_form_is_computed_once_per_text() -> None:
    assert canonical_forms("a \U0001f467 at home") is canonical_forms("a \U0001f467 at home")


def test_every_rule_reads_the_canonical_views() -> None:
    field = analyze_field(TextField("prompt", "kilo india delta at home"))
    assert "kid at home" in field.text.ascii.words
    assert field.canonical == ("kid at home",)


@pytest.fixture(scope="module")
def moderator() -> RuleModerator:
    return RuleModerator(real_people=())


def check(moderator: RuleModerator, style: Style, **fields: str):
    request = ModerationRequest(
        style=style,
        fields=tuple(TextField(path.replace("__", "."), text) for path, text in fields.items()),
    )
    return moderator.check(request)


@pytest.mark.parametrize(
    "prompt",
    [
        "kilo india delta on a sofa",
        "a \U0001f467 on a sofa",
        "%6B%69%64 on a sofa",
        "t\u20ac\u20acn on a sofa",
        "u\u01dd\u01dd\u0287 on a sofa",
        "a dlihc on a sofa",
        "#youngteengirl on a sofa",
        "a Year 9 pupil on a sofa",
        "a teenybopper on a sofa",
        "a woman in a training bra",
    ],
)
def test_hidden_minor_words_are_refused_in_the_adult_style(
    moderator: RuleModerator, prompt: str
) -> None:
    verdict = check(moderator, Style.nude, prompt=prompt)
    assert (verdict.allowed, verdict.field) == (False, "prompt")
    assert verdict.rule in ("minor_term", "minor_age")


@pytest.mark.parametrize(
    "prompt",
    [
        # a minor word of a language outside the supported ones, in an English sentence
        "a portrait at the lake with a flicka",  # Swedish
        "a portrait at the lake with a gyerek",  # Hungarian
        "a portrait at the lake with a mtoto",  # Swahili
        "a portrait at the lake with a \u03c0\u03b1\u03b9\u03b4\u03af",  # Greek
        "a portrait at the lake with a \u0e40\u0e14\u0e47\u0e01",  # Thai
        "a portrait at the lake with a \u05d9\u05dc\u05d3\u05d4",  # Hebrew
    ],
)
def test_every_languages_minor_words_apply_to_every_text(
    moderator: RuleModerator, prompt: str
) -> None:
    assert check(moderator, Style.nude, prompt=prompt).rule == "minor_term"


def test_short_captions_and_traits_get_every_languages_minor_words(
    moderator: RuleModerator,
) -> None:
    verdict = check(moderator, Style.nude, prompt="a beach selfie", snap_caption__text="gyerek")
    assert (verdict.field, verdict.rule) == ("snap_caption.text", "minor_term")
    verdict = check(moderator, Style.nude, prompt="a beach selfie", appearance__body_type="lapsi")
    assert (verdict.field, verdict.rule) == ("appearance.body_type", "minor_term")


@pytest.mark.parametrize(
    "prompt",
    [
        "not a child, a kid on a sofa",
        "no children, a 15 year old on a sofa",
        "not a child but a teenager on a sofa",
    ],
)
def test_a_negation_masks_only_the_word_it_negates(moderator: RuleModerator, prompt: str) -> None:
    assert not check(moderator, Style.nude, prompt=prompt).allowed


def test_a_minor_word_split_across_fields_is_refused(moderator: RuleModerator) -> None:
    verdict = check(
        moderator, Style.nude, prompt="mirror selfie, sch", snap_caption__text="oolgirl"
    )
    assert (verdict.allowed, verdict.rule) == (False, "minor_term")


@pytest.mark.parametrize(
    "prompt",
    [
        "mirror selfie, messy bedroom",
        "topless brunette, soft light",
        "farm girl, 28, hayloft, sunset",
        "a man in a sauna",
        "woman 30, minor league baseball cap, motel",
        "woman 36, Kinder chocolate on the nightstand",
        "no minors, all adults, rooftop party, woman 29",
        "an adult woman, 25, not a child, beach",
    ],
)
def test_ordinary_adult_requests_are_allowed(moderator: RuleModerator, prompt: str) -> None:
    assert check(moderator, Style.nude, prompt=prompt).allowed


@pytest.mark.parametrize(
    "text",
    [
        "mirror selfie, messy bedroom",
        "topless brunette, soft light",
        "farm girl, 28, hayloft, sunset",
        "a man in a sauna",
        "a woman, Bj\u00f6rn and \u00c5sa hiking near a fjord at dawn",
    ],
)
def test_english_is_no_evidence_of_another_language(text: str) -> None:
    assert foreign_evidence(text) == ()
    assert identify(text).supported


def test_words_of_an_unsupported_language_are_evidence() -> None:
    text = "en kvinna l\u00e4ser p\u00e5 stranden i solnedg\u00e5ngen"  # Swedish
    assert foreign_evidence(text)
    assert not identify(text).supported


def test_operator_words_of_a_covered_language_are_read(tmp_path) -> None:
    (tmp_path / "sv").mkdir()
    (tmp_path / "sv" / "minor.txt").write_text("marmot\n", encoding="utf-8")
    moderator = RuleModerator(real_people=(), extra_dir=tmp_path)
    verdict = check(moderator, Style.nude, prompt="a marmot on a sofa at dusk")
    assert (verdict.allowed, verdict.rule) == (False, "minor_term")
