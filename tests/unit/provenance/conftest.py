"""Shared fixtures: stampers with and without C2PA."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.provenance import ProvenanceStamper


@pytest.fixture
def stamper() -> ProvenanceStamper:
    """A stamper without C2PA (fast; C2PA has its own tests)."""
    return ProvenanceStamper(generator="Limner 9.9.9", c2pa=False)


@pytest.fixture
def c2pa_stamper(tmp_path: Path) -> ProvenanceStamper:
    pytest.importorskip("c2pa")
    return ProvenanceStamper(generator="Limner 9.9.9", key_dir=tmp_path / "keys")
