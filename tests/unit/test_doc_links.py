"""Every relative link in README.md and docs/*.md, and every repository path the docs name in
code spans (`docs/...`, `src/...`, `scripts/...`), points at a file or folder that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: [text](target): a link; targets with a scheme (https:, mailto:) or only an anchor are not files
LINK = re.compile(r"\]\(([^)\s]+)\)")
#: a path into the repository, as the docs name them in prose and code spans
REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:\.\./)*(?:docs|src|tests|scripts|bench|deploy|shared|\.ci)/[\w./-]*[\w/])"
)


def missing_targets(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    missing = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        if not (page.parent / target.split("#")[0]).exists():
            missing.append(target)
    for path in REPO_PATH.findall(text):
        base = page.parent if path.startswith("../") else ROOT
        if not (base / path).exists():
            missing.append(path)
    return missing


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_resolves(page: Path) -> None:
    assert missing_targets(page) == []


def test_a_missing_target_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See [the spec](spec/studio.md), `shared/spec/nowhere.md` and [web](https://x.org)."
    )
    assert missing_targets(page) == ["spec/studio.md", "shared/spec/nowhere.md"]
