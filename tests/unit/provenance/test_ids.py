from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from limner.provenance import InvalidGenerationId
from limner.provenance._ids import PAYLOAD_BITS, bits_to_id, id_to_bits

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567", min_size=16, max_size=16).map(
    lambda s: "gen_" + s
)


@given(ids)
def test_payload_round_trips_exactly(generation_id: str) -> None:
    bits = id_to_bits(generation_id)
    assert len(bits) == PAYLOAD_BITS
    assert bits_to_id(bits) == generation_id


@given(ids, st.integers(0, PAYLOAD_BITS - 1))
def test_any_single_bit_error_is_detected(generation_id: str, position: int) -> None:
    bits = id_to_bits(generation_id)
    bits[position] ^= 1
    assert bits_to_id(bits) is None


@pytest.mark.parametrize(
    "bad", ["gen_ABCDEFGHIJKLMNOP", "gen_abc", "abcdefghijklmnopqrst", "gen_abcdefghijklmno1", ""]
)
def test_malformed_ids_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidGenerationId) as info:
        id_to_bits(bad)
    assert info.value.field == "generation_id"
