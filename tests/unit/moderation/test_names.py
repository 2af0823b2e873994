"""Full names on no list: a given name and a surname are a real person unless shown otherwise."""

from __future__ import annotations

import pytest

from limner.moderation.names import FullNames, full_names


@pytest.mark.parametrize(
    "text",
    [
        "Anna Kowalski on a beach",
        "Maria Garcia, 30, hotel",
        "Emily Clarke at the window",
        "Анна Смирнова на пляже",  # Cyrillic
        "田中 花子",  # surname first, with a space
        "김 민준",
        "Anna-Lena Kowalski",
        "MARIA GARCIA",
    ],
)
def test_a_given_name_and_a_surname_are_a_person(text: str) -> None:
    assert full_names().find(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Rose in the garden",  # one name
        "amber brown hair",  # lower case: words, not a name
        "Amber Brown hair",  # both are ordinary words
        "Rose Gold lingerie",
        "Golden Hour, Soft Light, Mirror Selfie",
        "Mirror Selfie, Messy Bedroom",
        "Farm Girl, 28, Hayloft, Sunset",
        "A Man In A Sauna",
        "Maria, Garcia",  # a comma ends the name
        "Lara Croft in a tomb",  # a well-known fictional adult
        "Santa Claus by the fire",
        "a fictional woman named Anna Kowalski",  # shown otherwise
        "my OC Maria Garcia",
        "Zorblax Quentin",  # an invented name
        "New York City, Los Angeles skyline",
    ],
)
def test_words_places_and_fictional_people_are_not(text: str) -> None:
    assert full_names().find(text) is None


def test_the_lists_are_read_into_sets_once() -> None:
    assert full_names() is full_names()


def test_the_recogniser_reads_only_its_lists() -> None:
    names = FullNames(["Quilla"], ["Barnaby"], fictional=["Quilla Barnaby Junior"])

    assert names.find("Quilla Barnaby") == "Quilla Barnaby"
    assert names.find("Barnaby Quilla") is None  # not a surname first in a Latin script
    assert names.find("quilla barnaby") is None
