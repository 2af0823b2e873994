"""Script-aware views, CJK ages and language identification."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limner.moderation.cjk import cjk_minor_age
from limner.moderation.languages import identify
from limner.moderation.scripts import native_views, scripts_of


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Ребёнок", "ребенок"),  # ё reads е
        ("peбeнок", "ребенок"),  # Latin p, e inside a Cyrillic word
        ("р е б е н о к", "ребенок"),  # spaced letters join
        ("р\u200bебенок", "ребенок"),  # zero-width removed
        ("طِفْلَة", "طفله"),  # harakat removed, teh marbuta folded
        ("طفـــلة", "طفله"),  # tatweel removed
        ("أطفال", "اطفال"),  # alef with hamza folded
        ("लड़की", "लडकी"),  # nukta removed, vowel signs kept
        ("बच्चा", "बच्चा"),  # virama and vowel signs are part of the word
    ],
)
def test_native_view_folds_variants(text: str, words: str) -> None:
    assert native_views(text).words == words


@pytest.mark.parametrize(
    ("text", "cjk"),
    [
        ("ﾛﾘ", "ろり"),  # half-width katakana -> full width -> hiragana
        ("ロリ", "ろり"),
        ("ろり", "ろり"),
        ("子 供", "子供"),  # spaces inside CJK words do not hide them
        ("子x.供", "子供"),
        ("１４歳", "14歳"),  # full-width digits
        ("열네 살", "열네살"),
    ],
)
def test_cjk_view(text: str, cjk: str) -> None:
    assert native_views(text).cjk == cjk


@pytest.mark.parametrize(
    ("cjk", "minor"),
    [
        ("十四歳", True),
        ("14歳", True),
        ("十四岁", True),
        ("十五歲", True),
        ("열네살", True),
        ("14살", True),
        ("십사세", True),
        ("二十五歳", False),
        ("三十四岁", False),
        ("스물다섯살", False),
        ("서른네살", False),
        ("25세", False),
        ("오세요", False),  # "please come", not an age
    ],
)
def test_cjk_ages(cjk: str, minor: bool) -> None:
    assert (cjk_minor_age(native_views(cjk).cjk) is not None) is minor


def test_scripts_of() -> None:
    assert scripts_of("a ребенок 子供 こども 아이 طفل बच्चा ξ") == {
        "latin",
        "cyrillic",
        "han",
        "kana",
        "hangul",
        "arabic",
        "devanagari",
        "other",
    }


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("una mujer leyendo en la playa al atardecer", "es"),
        ("eine Frau liest am Strand bei Sonnenuntergang", "de"),
        ("женщина читает на пляже на закате", "ru"),
        ("海辺で本を読む女性", "ja"),
        ("해변에서 책을 읽는 여자", "ko"),
        ("在海边看书的女人", "zh"),
    ],
)
def test_identify_supported(text: str, language: str) -> None:
    found = identify(text)

    assert found.supported
    # short texts spread over related languages (Russian/Bulgarian): the right one is likely
    assert language in found.likely


@pytest.mark.parametrize(
    "text",
    [
        "en kvinna läser på stranden i solnedgången",  # Swedish
        "ένα κορίτσι στην παραλία το βράδυ",  # Greek: a script without rules
        "زنی در ساحل هنگام غروب کتاب می‌خواند",  # Persian: Arabic script, another language
    ],
)
def test_identify_unsupported(text: str) -> None:
    assert not identify(text).supported


@pytest.mark.parametrize(
    "text", ["blonde", "x" * 200, "15", "l l l l l", "", "sunday mood", "gym time", "ciao bella"]
)
def test_fewer_than_three_words_are_not_identified(text: str) -> None:
    found = identify(text)

    assert found.supported and found.languages == ()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_native_words_are_a_fixed_point(text: str) -> None:
    # Folding twice changes nothing, so a term written in any variant folds to what text does.
    once = native_views(text).words

    assert native_views(once).words == once
