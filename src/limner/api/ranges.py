"""HTTP range requests (RFC 9110 section 14) for served files: browsers fetch videos in parts
(`Range: bytes=0-`, then seeks) and will not seek, or on some browsers not play, without `206`.

One range per request (what browsers send); a header this module does not understand (several
ranges, another unit, a malformed one) is ignored and the whole file is sent, as the RFC allows.
A range wholly past the end is `416` with `Content-Range: bytes */size`.
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
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # a suffix: the last N bytes
        length = int(last_text)
        if length == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:  # malformed: ignored
        return None
    if first >= size:
        raise RangeNotSatisfiable(size)
    return first, min(last, size - 1)
