from __future__ import annotations

import io

import pytest
from PIL import Image

from limner.errors import ValidationFailed
from limner.provenance._metadata import (
    COMPOSITE,
    TRAINED,
    Metadata,
    encode,
    from_xmp,
    normalise_format,
    read,
    to_xmp,
)

META = Metadata(TRAINED, "Limner 1.2.3", "gen_abcdefghijklmnop", placeholder=False)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize(
    "meta", [META, Metadata(COMPOSITE, "Limner 1.2.3", "gen_b" * 1 + "a" * 15, placeholder=True)]
)
def test_metadata_round_trips_through_the_file(fmt: str, meta: Metadata) -> None:
    data = encode(Image.new("RGB", (32, 24), (200, 10, 10)), fmt, meta)
    assert read(Image.open(io.BytesIO(data))) == meta


def test_exif_alone_still_names_generator_and_id() -> None:
    data = encode(Image.new("RGB", (16, 16)), "JPEG", META)
    image = Image.open(io.BytesIO(data))
    image.info.pop("xmp")
    found = read(image)
    assert (found.generator, found.generation_id, found.digital_source_type) == (
        "Limner 1.2.3",
        "gen_abcdefghijklmnop",
        None,
    )


def test_xmp_written_by_other_tools_as_elements_is_read() -> None:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f"<Iptc4xmpExt:DigitalSourceType>{TRAINED}</Iptc4xmpExt:DigitalSourceType>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert from_xmp(packet).digital_source_type == TRAINED


@pytest.mark.parametrize(
    "packet",
    [
        "",
        "not xml",
        "<x:xmpmeta><broken",
        to_xmp(META).replace("<x:xmpmeta", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta'),
    ],
)
def test_broken_or_hostile_xmp_gives_empty_fields(packet: str) -> None:
    assert from_xmp(packet) == Metadata(None, None, None)


def test_unknown_format_is_refused_naming_the_field() -> None:
    assert normalise_format("jpg") == "JPEG"
    with pytest.raises(ValidationFailed) as info:
        normalise_format("GIF")
    assert info.value.field == "fmt"
