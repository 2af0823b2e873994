"""The watermark payload: a generation id packed into 112 bits and back.

A generation id is `gen_` + 16 characters of lowercase RFC 4648 base32 (`a-z`, `2-7`), i.e. exactly
80 bits. The payload is those 80 bits followed by a CRC-32 of them, so a decoder can tell a real
watermark from the random bits any unmarked image yields (false match rate about 2**-32 per try).
"""

from __future__ import annotations

import base64
import re
import zlib

from limner.provenance._errors import InvalidGenerationId

ID_PREFIX = "gen_"
ID_BITS = 80
CRC_BITS = 32
PAYLOAD_BITS = ID_BITS + CRC_BITS

_ID_RE = re.compile(r"^gen_[a-z2-7]{16}$")


def validate_generation_id(generation_id: str) -> str:
    """Return `generation_id` unchanged, or raise `InvalidGenerationId`."""
    if not isinstance(generation_id, str) or not _ID_RE.fullmatch(generation_id):
        raise InvalidGenerationId(
            repr(generation_id) if not isinstance(generation_id, str) else generation_id
        )
    return generation_id


def id_to_bits(generation_id: str) -> list[int]:
    """Pack a generation id into `PAYLOAD_BITS` bits (id, then CRC-32), most significant first."""
    validate_generation_id(generation_id)
    raw = base64.b32decode(generation_id[len(ID_PREFIX) :].upper())  # 10 bytes
    crc = zlib.crc32(raw).to_bytes(4, "big")
    return _bytes_to_bits(raw + crc)


def bits_to_id(bits: list[int]) -> str | None:
    """Unpack `PAYLOAD_BITS` bits into a generation id, or None when the CRC does not match."""
    if len(bits) != PAYLOAD_BITS:
        return None
    data = _bits_to_bytes(bits)
    raw, crc = data[: ID_BITS // 8], data[ID_BITS // 8 :]
    if zlib.crc32(raw).to_bytes(4, "big") != crc:
        return None
    return ID_PREFIX + base64.b32encode(raw).decode("ascii").lower()


def _bytes_to_bits(data: bytes) -> list[int]:
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def _bits_to_bytes(bits: list[int]) -> bytes:
    out = bytearray()
    for start in range(0, len(bits), 8):
        value = 0
        for bit in bits[start : start + 8]:
            value = (value << 1) | (bit & 1)
        out.append(value)
    return bytes(out)
