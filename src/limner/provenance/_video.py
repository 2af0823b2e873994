"""Provenance for videos: the watermark in every frame, a signed C2PA manifest in the MP4, and
reading both back from an MP4 of unknown origin.

An MP4 has no XMP or EXIF block of ours, so the generation id travels in the pixels (each frame
carries the watermark of `_watermark`) and in the C2PA manifest (its title, signed). H.264 at
small sizes can blur the watermark away; the manifest still names the generation, and `verify`
trusts its id only when the signature chains to this server's own trust anchors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from PIL import Image

from limner.provenance import _c2pa, _watermark
from limner.provenance._ids import id_to_bits, validate_generation_id

#: frames read back by `verify` (spread over the start of the clip; the majority id wins)
VERIFY_FRAMES = 8


def watermark_frames(
    frames: Sequence[Image.Image | np.ndarray], generation_id: str, *, key: bytes
) -> list[np.ndarray]:
    """Every frame with the watermark of `generation_id` in its luminance."""
    validate_generation_id(generation_id)
    bits = id_to_bits(generation_id)
    return [
        _watermark.embed(
            np.asarray(frame.convert("RGB")) if isinstance(frame, Image.Image) else frame,
            bits,
            key=key,
        )
        for frame in frames
    ]


def read_watermark(data: bytes, *, key: bytes) -> _watermark.Reading:
    """The id most of the first frames carry, with its mean confidence; no id when none reads."""
    # imported here: `limner.media` pulls in the database layer, which provenance does not need
    from limner.media.video import each_frame

    # one decoded frame at a time: a large frame is read and let go before the next
    readings = [
        _watermark.read(np.asarray(frame, dtype=np.uint8), key=key)
        for frame in each_frame(data, limit=VERIFY_FRAMES)
    ]
    found = Counter(r.generation_id for r in readings if r.generation_id is not None)
    confidence = sum(r.confidence for r in readings) / len(readings) if readings else 0.0
    if not found:
        return _watermark.Reading(None, confidence)
    generation_id, _count = found.most_common(1)[0]
    return _watermark.Reading(generation_id, confidence)


def read_manifest(data: bytes, *, trust_anchors_pem: bytes | None) -> _c2pa.C2paReading:
    return _c2pa.read(data, fmt="MP4", trust_anchors_pem=trust_anchors_pem)
