"""Provenance metadata in the file: XMP (PNG iTXt, JPEG APP1) and EXIF, written and read back.

Written into every image:

- XMP `Iptc4xmpExt:DigitalSourceType`: IPTC's `trainedAlgorithmicMedia`, or
  `compositeWithTrainedAlgorithmicMedia` when the job took a user image;
- XMP `xmp:CreatorTool` and EXIF `Software`: the generator, "Limner <version>";
- XMP `limner:GenerationId` and EXIF `ImageUniqueID`: the generation id;
- XMP `limner:Placeholder`: "True" for images from the placeholder backend;
- EXIF `ImageDescription`: a plain-language "AI-generated" note for tools that show only EXIF.

Metadata is easy to strip; the watermark (`_watermark`) is what survives that.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from limner.errors import ValidationFailed

IPTC_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC_BASE + "trainedAlgorithmicMedia"
COMPOSITE = IPTC_BASE + "compositeWithTrainedAlgorithmicMedia"
#: IPTC source types that say a trained model made (part of) the image
AI_SOURCE_TYPES = frozenset(
    {
        TRAINED,
        COMPOSITE,
        IPTC_BASE + "algorithmicMedia",
        IPTC_BASE + "compositeSynthetic",
    }
)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "limner": "https://limner.dev/ns/provenance/1.0/",
}
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
#: libwebp's effort (0 fastest .. 6 smallest): 0 encodes about twice as fast as the default 4
WEBP_METHOD = 0
#: XMP packets larger than this are not parsed (a verify input is untrusted)
MAX_XMP_BYTES = 256 * 1024

_EXIF_DESCRIPTION = 0x010E
_EXIF_SOFTWARE = 0x0131
_EXIF_IFD = 0x8769
_EXIF_UNIQUE_ID = 0xA420


@dataclass(frozen=True)
class Metadata:
    """Provenance fields as written, or as found (any field may be missing in a foreign file)."""

    digital_source_type: str | None
    generator: str | None
    generation_id: str | None
    placeholder: bool = False


def normalise_format(fmt: str) -> str:
    """Return "PNG", "JPEG" or "WEBP" for the names we accept; raise `ValidationFailed`
    otherwise."""
    name = fmt.upper()
    name = "JPEG" if name == "JPG" else name
    if name not in FORMATS:
        raise ValidationFailed("fmt", f"`fmt` must be one of PNG, JPEG, WEBP but is {fmt!r}")
    return name


def to_xmp(meta: Metadata) -> str:
    """The XMP packet for `meta`."""
    attrs = [
        ("Iptc4xmpExt:DigitalSourceType", meta.digital_source_type),
        ("xmp:CreatorTool", meta.generator),
        ("limner:GenerationId", meta.generation_id),
        ("limner:Placeholder", "True" if meta.placeholder else "False"),
    ]
    body = "".join(f"\n    {name}={quoteattr(value)}" for name, value in attrs if value)
    xmlns = "".join(f'\n    xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf"))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS["x"]}">\n <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about=""{xmlns}{body}/>\n'
        " </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def from_xmp(packet: str | bytes) -> Metadata:
    """Parse provenance fields out of an XMP packet; unknown or broken XMP gives empty fields."""
    if isinstance(packet, bytes):
        packet = packet.decode("utf-8", errors="replace")
    if len(packet) > MAX_XMP_BYTES:
        return Metadata(None, None, None)
    start, end = packet.find("<x:xmpmeta"), packet.rfind("</x:xmpmeta>")
    if start < 0 or end < 0 or "<!DOCTYPE" in packet or "<!ENTITY" in packet:
        return Metadata(None, None, None)
    try:
        root = ET.fromstring(packet[start : end + len("</x:xmpmeta>")])
    except ET.ParseError:
        return Metadata(None, None, None)

    def find(prefix: str, local: str) -> str | None:
        tag = f"{{{NS[prefix]}}}{local}"
        for desc in root.iter(f"{{{NS['rdf']}}}Description"):
            if tag in desc.attrib:
                return desc.attrib[tag].strip()
            child = desc.find(tag)
            if child is not None:
                text = "".join(child.itertext()).strip()
                resource = child.attrib.get(f"{{{NS['rdf']}}}resource")
                return text or resource
        return None

    return Metadata(
        digital_source_type=find("Iptc4xmpExt", "DigitalSourceType"),
        generator=find("xmp", "CreatorTool"),
        generation_id=find("limner", "GenerationId"),
        placeholder=(find("limner", "Placeholder") or "").lower() == "true",
    )


def _exif(meta: Metadata) -> Image.Exif:
    exif = Image.Exif()
    if meta.generator:
        exif[_EXIF_SOFTWARE] = meta.generator
    kind = (
        "composite of a user image and AI-generated"
        if meta.digital_source_type == COMPOSITE
        else "AI-generated"
    )
    exif[_EXIF_DESCRIPTION] = f"{kind} image ({meta.digital_source_type})"
    if meta.generation_id:
        exif.get_ifd(_EXIF_IFD)[_EXIF_UNIQUE_ID] = meta.generation_id
    return exif


#: zlib's Z_RLE strategy (Pillow's `compress_type`)
_Z_RLE = 3


def encode(
    image: Image.Image, fmt: str, meta: Metadata, *, jpeg_quality: int = 92, png_level: int = 6
) -> bytes:
    """Encode `image` as `fmt` with the provenance metadata of `meta`; `png_level` is zlib's."""
    name = normalise_format(fmt)
    out = io.BytesIO()
    xmp = to_xmp(meta)
    if name == "PNG":
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp)
        if meta.generator:
            info.add_text("Software", meta.generator)
        # zlib's run-length strategy after PNG's row filters: 1.6x faster than its default
        # strategy at level 1 and smaller files on photos and noise alike
        # (bench/results/throughput.md, "PNG strategy")
        image.save(
            out,
            "PNG",
            pnginfo=info,
            exif=_exif(meta),
            compress_level=png_level,
            compress_type=_Z_RLE if png_level > 0 else -1,
        )
    elif name == "JPEG":
        image.save(out, "JPEG", quality=jpeg_quality, xmp=xmp.encode("utf-8"), exif=_exif(meta))
    else:
        image.save(
            out,
            "WEBP",
            quality=jpeg_quality,
            method=WEBP_METHOD,
            xmp=xmp.encode("utf-8"),
            exif=_exif(meta),
        )
    return out.getvalue()


def read(image: Image.Image) -> Metadata:
    """Read provenance metadata from an opened image: XMP first, EXIF for what XMP lacks."""
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    found = from_xmp(packet) if packet else Metadata(None, None, None)
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block must not stop a verify
        return found
    generator = found.generator or _text(exif.get(_EXIF_SOFTWARE))
    generation_id = found.generation_id or _text(exif.get_ifd(_EXIF_IFD).get(_EXIF_UNIQUE_ID))
    return Metadata(found.digital_source_type, generator, generation_id, found.placeholder)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return value.strip("\x00 ") or None if isinstance(value, str) else None
