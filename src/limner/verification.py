"""Did this server make this image, and which generation? Used by `POST /api/v1/verify` and
`limner verify`. The watermark in the pixels is the evidence (for an MP4, also a C2PA manifest
signed by this server's key); the database confirms the id."""

from __future__ import annotations

from dataclasses import dataclass

from limner.db.engine import Database
from limner.db.tables import Generation
from limner.errors import ValidationFailed
from limner.media import MediaLimits, open_picture, sniff_format
from limner.media.video import frame_size, is_mp4
from limner.provenance import VerifyResult, verify

#: the request field `verify` names in its errors
FIELD = "image"


@dataclass(frozen=True)
class Verification:
    image: VerifyResult
    #: the watermarked (or, for a video, signed) id is a generation recorded by this server
    known_generation: bool

    @property
    def from_this_server(self) -> bool:
        return self.image.from_limner and self.known_generation

    def as_dict(self) -> dict[str, object]:
        result = self.image
        return {
            "from_this_server": self.from_this_server,
            "generation_id": result.named_id,
            "known_generation": self.known_generation,
            "ai_generated": result.ai_generated,
            "watermark_found": result.from_limner,
            "metadata_generation_id": result.generation_id,
            "metadata_matches_watermark": result.ids_agree,
            "generator": result.generator,
            "digital_source_type": result.digital_source_type,
            "c2pa_valid": result.c2pa_valid,
            "c2pa_trusted": result.c2pa_trusted,
            "placeholder": result.placeholder,
            "format": result.format,
            "made_from_input": result.made_from_input,
            "ingredients": list(result.ingredients),
        }


def verify_image(
    data: bytes,
    *,
    limits: MediaLimits,
    database: Database,
    watermark_key: bytes,
    trust_anchors_pem: bytes | None,
) -> Verification:
    """Read the image's provenance and look its watermarked id up in the database.

    Only PNG, JPEG, WebP and MP4, told by their signatures, within the input picture limits
    (read from the headers, before anything is decoded); the decode holds a slot of the gate."""
    check_verifiable(data, limits=limits)
    with limits.gate.held():
        result = verify(data, watermark_key=watermark_key, trust_anchors_pem=trust_anchors_pem)
    known = False
    if result.named_id is not None:
        with database.read() as session:
            known = session.get(Generation, result.named_id) is not None
    return Verification(image=result, known_generation=known)


def check_verifiable(data: bytes, *, limits: MediaLimits) -> None:
    """Raise `ValidationFailed` on `image` unless `data` is a PNG, JPEG, WebP or MP4 whose
    frame size is within `limits`."""
    if is_mp4(data):
        width, height = frame_size(data)
        limits.check_size(width, height, field=FIELD)
    elif sniff_format(data) is None:
        raise ValidationFailed(FIELD, f"{FIELD}: must be a PNG, JPEG, WebP or MP4 file")
    else:
        open_picture(data, limits=limits, field=FIELD)
