from __future__ import annotations

import limner.provenance as provenance


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(provenance) if not name.startswith("_")}
    public -= {"annotations"}
    assert set(provenance.__all__) == public
