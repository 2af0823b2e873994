"""Provenance: every image Limner releases says it is AI-made, and which generation made it.

Three layers, each read back by `verify`:

- metadata (`_metadata`): IPTC digital source type, generator, generation id in XMP and EXIF;
- an invisible watermark (`_watermark`, payload in `_ids`) carrying the generation id in the
  pixels, which survives metadata stripping, re-encoding and resizing;
- an optional C2PA manifest (`_c2pa`) signed with the operator's key (`_keys`).

`ProvenanceStamper.stamp` applies them and refuses to return an image whose watermark does not
read back (`WatermarkNotReadable`). See docs/provenance.md.
"""

from limner.provenance._c2pa import COMPONENT_OF, PARENT_OF, Ingredient
from limner.provenance._errors import InvalidGenerationId, ProvenanceError, WatermarkNotReadable
from limner.provenance._metadata import COMPOSITE as _COMPOSITE
from limner.provenance._metadata import TRAINED as _TRAINED
from limner.provenance._stamper import ProvenanceStamper, VerifyResult, default_generator, verify

#: IPTC digital source type of a purely generated image
TRAINED_ALGORITHMIC_MEDIA = _TRAINED
#: IPTC digital source type of an image generated from a user's image
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = _COMPOSITE

__all__ = [
    "COMPONENT_OF",
    "COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA",
    "PARENT_OF",
    "TRAINED_ALGORITHMIC_MEDIA",
    "Ingredient",
    "InvalidGenerationId",
    "ProvenanceError",
    "ProvenanceStamper",
    "VerifyResult",
    "WatermarkNotReadable",
    "default_generator",
    "verify",
]
