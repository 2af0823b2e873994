"""HTTP range requests (RFC 9110 section 14) for served files: browsers fetch videos in parts
(`Range: bytes=0-`, then seeks) and will not seek, or on some browsers not play, without `206`.

One range per request (what browsers send); a header this module does not understand (several
ranges, another unit, a malformed one) is ignored and the whole file is sent, as the RFC allows.
A range wholly past the end is `416` with `Content-Range: bytes */size`.

Positions are compared as digit strings before any is converted: a position of thousands of
digits is valid syntax (past any file: `416` for a first byte, the end of the file for a last
byte or a suffix), and Python's `int()` refuses strings of more than 4300 digits.
"""

from __future__ import annotations

import re

from limner.errors import RangeNotSatisfiable

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte the header asks for, or None to send the whole file."""
    if header is None:
        return None
    match = _SINGLE.match(header)
    if match is None:
        return None
    first_text, last_text = (text.lstrip("0") or "0" if text else "" for text in match.groups())
    if not first_text and not last_text:
        return None
    if not first_text:  # a suffix: the last N bytes
        length = _at_most(last_text, size)
        if length == 0:
            raise RangeNotSatisfiable(size)
        return size - length, size - 1
    if last_text and _magnitude(last_text) < _magnitude(first_text):  # malformed: ignored
        return None
    first = _at_most(first_text, size)
    if first >= size:
        raise RangeNotSatisfiable(size)
    last = _at_most(last_text, size - 1) if last_text else size - 1
    return first, last


def _magnitude(digits: str) -> tuple[int, str]:
    """Orders digit strings without leading zeros as the numbers they spell."""
    return len(digits), digits


def _at_most(digits: str, ceiling: int) -> int:
    """The number, or `ceiling` when it is larger (without converting a huge string)."""
    if _magnitude(digits) > _magnitude(str(ceiling)):
        return ceiling
    return min(int(digits), ceiling)
