"""Several processes starting at once on one data directory end up with one signing key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from limner.provenance._keys import load_or_create


def test_concurrent_first_starts_share_one_key(tmp_path: Path) -> None:
    key_dir = tmp_path / "keys"
    with ThreadPoolExecutor(max_workers=6) as pool:
        materials = list(pool.map(lambda _: load_or_create(key_dir), range(6)))
    assert len({m.ca_cert_pem for m in materials}) == 1
    assert len({m.private_key_pem for m in materials}) == 1
