"""`TermSet` matching rules and the shipped lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.moderation.lexicon import (
    MINOR_TERMS,
    SEXUAL_TERMS,
    TermSet,
    read_term_file,
    shipped_real_people,
)
from limner.moderation.normalize import analyze


def _matches(terms: TermSet, text: str) -> bool:
    return terms.matches(analyze(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a kid", True),
        ("two kids", True),
        ("kiiiid", True),
        ("a kidney", False),
        ("skid marks", False),
        ("just kidding", False),
        ("skiing", False),
    ],
)
def test_whole_words_plurals_and_repeated_letters(text: str, expected: bool) -> None:
    assert _matches(TermSet(["kid"]), text) is expected


def test_a_doubled_letter_must_stay_doubled() -> None:
    teen = TermSet(["teen"])

    assert _matches(teen, "teeeen")
    assert not _matches(teen, "ten cats")


def test_l_and_i_are_one_letter() -> None:
    loli = TermSet(["loli"])

    assert _matches(loli, "10li")
    assert _matches(loli, "Ioli")


def test_multi_word_terms_match_spaced_or_joined() -> None:
    terms = TermSet(["high school"])

    assert _matches(terms, "a high  school hallway")
    assert _matches(terms, "#highschool")
    assert not _matches(terms, "a high schooner")


def test_terms_inside_a_glued_run() -> None:
    assert _matches(TermSet(["kid"]), "i am a k i d")


def test_extra_patterns_use_the_plain_view() -> None:
    terms = TermSet([], patterns=[r"\ba baby\b(?! blue)"])

    assert _matches(terms, "holding a baby")
    assert not _matches(terms, "a baby blue dress")


def test_an_empty_set_matches_nothing() -> None:
    assert not TermSet([])
    assert not _matches(TermSet([]), "anything at all")


def test_lists_are_normalised_and_disjoint() -> None:
    assert not set(MINOR_TERMS) & set(SEXUAL_TERMS)
    assert len(shipped_real_people()) >= 100


def test_read_term_file_skips_comments_and_blanks(tmp_path: Path) -> None:
    path = tmp_path / "terms.txt"
    path.write_text("# operator list\n\nzorblax\n  quux thing  \n", encoding="utf-8")

    assert read_term_file(path) == ("zorblax", "quux thing")
