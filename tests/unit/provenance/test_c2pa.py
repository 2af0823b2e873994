from __future__ import annotations

import stat
from pathlib import Path

import pytest

from limner.errors import ConfigurationError
from limner.provenance import ProvenanceStamper, verify
from limner.provenance._keys import CA_FILE, CERT_FILE, KEY_FILE, load_or_create

from ._images import GEN_ID, natural_image, reencode

pytest.importorskip("c2pa")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_signed_manifest_validates_and_is_trusted_with_the_operator_anchor(
    c2pa_stamper: ProvenanceStamper, fmt: str
) -> None:
    data = c2pa_stamper.stamp(natural_image(128, seed=1), generation_id=GEN_ID, fmt=fmt)
    trusted = verify(data, trust_anchors_pem=c2pa_stamper.trust_anchors_pem)
    assert (trusted.c2pa_valid, trusted.c2pa_trusted) == (True, True)
    # the manifest does not disturb the other layers
    assert (trusted.generation_id, trusted.watermark_id) == (GEN_ID, GEN_ID)
    assert verify(data).c2pa_trusted is False  # a local CA is unknown to everyone else


def test_edited_metadata_fails_validation_and_disagrees_with_the_watermark(
    c2pa_stamper: ProvenanceStamper,
) -> None:
    data = bytearray(
        c2pa_stamper.stamp(natural_image(128, seed=2), generation_id=GEN_ID, fmt="JPEG")
    )
    at = data.find(b'limner:GenerationId="gen_') + len(b'limner:GenerationId="gen_')
    data[at] = ord("z")  # claim another generation; JPEG segments carry no checksum
    result = verify(bytes(data))
    assert result.generation_id == "gen_zbcdefghijklmnop"
    assert (result.watermark_id, result.c2pa_valid, result.ids_agree) == (GEN_ID, False, False)


def test_stripped_image_has_no_manifest(c2pa_stamper: ProvenanceStamper) -> None:
    data = c2pa_stamper.stamp(natural_image(128, seed=3), generation_id=GEN_ID)
    assert verify(reencode(data, "PNG")).c2pa_valid is None


def test_key_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    first = load_or_create(tmp_path / "keys")
    for name in (KEY_FILE, CERT_FILE, CA_FILE):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert load_or_create(tmp_path / "keys") == first


def test_partial_key_directory_is_a_configuration_error(tmp_path: Path) -> None:
    load_or_create(tmp_path)
    (tmp_path / KEY_FILE).unlink()
    with pytest.raises(ConfigurationError, match=KEY_FILE):
        load_or_create(tmp_path)
