"""Real people across scripts and spellings, and the fuzzy threshold's benign corpus."""

from __future__ import annotations

import pytest

from limner.domain.styles import Style
from limner.moderation import ModerationRequest, TextField, Verdict, default_moderator
from limner.moderation.lexicon import shipped_real_people
from limner.moderation.normalize import analyze, normalize
from limner.moderation.people import RealPeople, split_aliases
from limner.moderation.rulesets import Analyzed
from limner.moderation.scripts import native_views
from tests.unit.moderation.benign_names import FIRST_NAMES, SURNAMES

PEOPLE = RealPeople(shipped_real_people())


def found(text: str) -> str | None:
    return PEOPLE.find(Analyzed(ascii=analyze(text), native=native_views(text)))


@pytest.mark.parametrize(
    "text",
    [
        "Taylor Swift",
        "Тейлор Свифт на пляже",
        "テイラー・スウィフトの写真",
        "泰勒·斯威夫特",
        "테일러 스위프트",
        "Путина в бане",  # an inflected form
        "صورة ترامب",  # with no prefix
        "والترامب",  # with attached prefixes
        "Taylor Swfit",  # one-letter misspellings
        "Scarlet Johansson",
        "Scarlett Johanson",
        "Margo Robbie",
        "Zelenskyy",
        "taylorswfit",
    ],
)
def test_real_people_in_every_script_and_spelling(text: str) -> None:
    assert found(text) is not None


def test_common_first_names_alone_never_trigger() -> None:
    hits = [name for name in FIRST_NAMES if found(name)]

    assert hits == []


def test_benign_name_pairs_rarely_trigger() -> None:
    # The fuzzy threshold was chosen on this corpus (bench/results/real-people-fuzzy.md): a few
    # pairs one or two letters from a listed name are refused in the adult style, and no more.
    # With the list six times longer (issue 25) 9 of 16,256 pairs are; every one of them is a
    # capitalised given name and surname, which the full-name rule (`names`) refuses in the
    # same places anyway.
    listed = {normalize(name) for name in split_aliases(shipped_real_people())}
    pairs = [f"{first} {last}" for first in FIRST_NAMES for last in SURNAMES]
    benign = [pair for pair in pairs if normalize(pair) not in listed]

    hits = [pair for pair in benign if found(pair)]

    assert len(hits) <= 0.001 * len(benign), hits


def test_adult_style_refuses_a_transliterated_name() -> None:
    fields = (TextField("prompt", "селфи Тейлор Свифт"),)
    request = ModerationRequest(style=Style.nude, fields=fields)

    verdict = default_moderator().check(request)

    assert (verdict.allowed, verdict.rule) == (False, "real_person_adult")


@pytest.mark.parametrize(
    "text",
    [
        "JLo on a yacht",
        "Kim K at a party",
        "Shah Rukh Khan",
        "SRK in Mumbai",
        "शाहरुख खान",
        "Jeon Jungkook",
        "新垣結衣",
        "Τέιλορ Σουίφτ",
        "テイラー スウィフト",  # a space instead of the middle dot
        "Madonna on a balcony",  # exact only
    ],
)
def test_aliases_initials_stage_names_and_native_spellings(text: str) -> None:
    assert found(text) is not None


@pytest.mark.parametrize("text", ["madona", "black pink dress", "sexy red dress", "mon cher ami"])
def test_exact_only_names_are_not_misspelled(text: str) -> None:
    assert found(text) is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("the lead singer of coldplay", "real_person_adult"),
        ("the princess of monaco on a yacht", "real_person_adult"),
        ("the British prime minister at a desk", "real_person_adult"),
        ("the pope on a balcony", "real_person_adult"),
        ("the actress who played the lead in a film", "real_person_adult"),
        ("the youngest Kardashian sister", "real_person_adult"),
        ("the star of Barbie at a party", "real_person_adult"),
        ("the richest man in the world on a yacht", "real_person_adult"),
        ("the current queen consort in a castle", "real_person_adult"),
        ("the singer who performed at the halftime show", "real_person_adult"),
        ("Anna Kowalski on a beach", "real_person_adult"),
    ],
)
def test_titles_roles_descriptions_and_full_names_name_a_real_person(text: str, rule: str) -> None:
    request = ModerationRequest(style=Style.nude, fields=(TextField("prompt", text),))

    assert default_moderator().check(request).rule == rule


@pytest.mark.parametrize(
    "text",
    [
        "the lead singer of a band on a beach",
        "the queen of hearts in a garden",
        "the princess of the castle at dusk",
        "the daughter of the innkeeper, 25, at the bar",
        "Lara Croft resting at a camp",
        "a fictional woman named Anna Kowalski on a beach",
    ],
)
def test_fiction_is_not_a_real_person(text: str) -> None:
    request = ModerationRequest(style=Style.nude, fields=(TextField("prompt", text),))

    assert default_moderator().check(request).allowed


def test_a_full_name_with_nudity_wording_is_refused_in_other_styles() -> None:
    moderator = default_moderator()
    nude = (TextField("prompt", "Anna Kowalski, nude"),)
    plain = (TextField("prompt", "Anna Kowalski giving a lecture"),)

    assert moderator.check(ModerationRequest(Style.anime, nude)) == Verdict.block(
        "prompt", "real_person_sexual"
    )
    assert moderator.check(ModerationRequest(Style.anime, plain)).allowed
