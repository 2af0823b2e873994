"""`limner moderation check`: the operator's view of a verdict, through the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import LIMNER, cli_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIMNER, "moderation", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_refusal_names_languages_rule_and_match(env: dict[str, str]) -> None:
    result = check(env, "una niña de catorce años", "--style", "nude")

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "verdict: refused" in lines
    assert any(line.startswith("languages: es") for line in lines)
    assert "rule: minor_age" in lines
    assert "language: es" in lines
    assert "matched: catorce anos" in lines


def test_an_unsupported_language_is_named(env: dict[str, str]) -> None:
    result = check(env, "en kvinna läser på stranden i solnedgången", "--style", "nude")

    assert result.returncode == 1, result.stderr
    assert "rule: unsupported_language" in result.stdout
    assert "languages: sv" in result.stdout


def test_an_allowed_text(env: dict[str, str]) -> None:
    result = check(env, "a lighthouse at dusk", "--style", "nude")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "verdict: allowed"


def test_operator_words_are_read_from_the_data_dir(env: dict[str, str]) -> None:
    words = Path(env["LIMNER_DATA_DIR"]) / "moderation" / "fr"
    words.mkdir(parents=True)
    (words / "minor.txt").write_text("marmot\n", encoding="utf-8")

    result = check(env, "une marmot sur la plage", "--style", "nude")

    assert result.returncode == 1, result.stdout
    assert "matched: marmot" in result.stdout


def test_a_trait_value_is_not_identified(env: dict[str, str]) -> None:
    result = check(env, "blonde", "--style", "nude", "--field", "appearance.hair_color")

    assert result.returncode == 0, result.stderr
    assert "languages: not identified (a trait value)" in result.stdout


def test_the_canonical_form_and_the_rule_are_shown(env: dict[str, str]) -> None:
    # "kid" spelled in the NATO alphabet, in the adult style
    result = check(env, "kilo india delta on a sofa", "--style", "nude")

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "canonical (prompt): kid on a sofa" in lines
    assert "rule: minor_term" in lines
    assert "matched: kid" in lines


def test_an_allowed_text_shows_its_canonical_form(env: dict[str, str]) -> None:
    result = check(env, "#SunsetOverTheLake \N{SUNRISE}", "--style", "realistic")

    assert result.returncode == 0, result.stderr
    # a hashtag with no term in it is left whole; an emoji reads as its name
    assert "canonical (prompt): sunsetoverthelake sunrise" in result.stdout.splitlines()
