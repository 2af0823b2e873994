"""Stamping an output image with all of its provenance, and verifying any image against it.

`ProvenanceStamper.stamp` is the one path from a generated `PIL.Image` to the bytes Limner
releases: watermark, then metadata, then proof that the watermark reads from the released pixels
(raising `WatermarkNotReadable` rather than releasing an unmarked image), then the optional C2PA
manifest. `verify` reads all three back from bytes of unknown origin.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from limner.errors import ConfigurationError, ValidationFailed
from limner.provenance import _c2pa, _video, _watermark
from limner.provenance._c2pa import Ingredient
from limner.provenance._errors import InvalidGenerationId, WatermarkNotReadable
from limner.provenance._ids import id_to_bits, validate_generation_id
from limner.provenance._keys import load_or_create
from limner.provenance._metadata import (
    AI_SOURCE_TYPES,
    COMPOSITE,
    TRAINED,
    Metadata,
    encode,
    normalise_format,
)
from limner.provenance._metadata import read as read_metadata

log = logging.getLogger(__name__)

#: zlib level of released PNGs: 1 encodes 2-3x faster than Pillow's default 6 for files about
#: 10-40% larger (bench/results/throughput.md, "PNG level")
DEFAULT_PNG_LEVEL = 1
#: formats whose decoded pixels are exactly the encoded ones
LOSSLESS = frozenset({"PNG"})
#: the only formats `verify` lets Pillow open (what this server writes)
READ_FORMATS = ("PNG", "JPEG", "WEBP")


def default_generator() -> str:
    """ "Limner <installed version>", the generator name written into every image."""
    from limner import __version__

    return f"Limner {__version__}"


@dataclass(frozen=True)
class VerifyResult:
    """What an image says about where it came from. Every field comes from the image alone."""

    #: any of metadata, watermark or C2PA says a trained model made the image
    ai_generated: bool
    #: generator named in the metadata ("Limner 0.1.0"); None when stripped or absent
    generator: str | None
    #: generation id from the metadata; None when stripped or absent
    generation_id: str | None
    #: generation id decoded from the pixels; survives metadata stripping and light editing
    watermark_id: str | None
    #: mean per-bit watermark certainty, 0..1 (about 0.64 on unmarked images)
    watermark_confidence: float
    #: IPTC digital source type URI from metadata (or from the C2PA manifest)
    digital_source_type: str | None
    #: C2PA signature and hashes check out; None when there is no manifest or no c2pa library
    c2pa_valid: bool | None
    #: the C2PA signing chain ends at a trust anchor given to `verify`; None as for `c2pa_valid`
    c2pa_trusted: bool | None
    #: the metadata marks the image as made by the placeholder backend
    placeholder: bool
    #: "PNG", "JPEG", "MP4", ... as detected from the bytes
    format: str | None
    #: the C2PA ingredients' relationships ("parentOf" for an edited input, "componentOf" for a
    #: mask or reference); empty without a manifest
    ingredients: tuple[str, ...] = ()
    #: the generation id a C2PA manifest signed by this server's own key names (videos: the
    #: watermark may not survive H.264 at small sizes; the signed manifest still names it)
    manifest_id: str | None = None

    @property
    def made_from_input(self) -> bool:
        """The image was made from an input picture (composite source type, or ingredients)."""
        return self.digital_source_type == COMPOSITE or bool(self.ingredients)

    @property
    def from_limner(self) -> bool:
        """A Limner watermark was found, or a manifest signed by this server's key names the
        generation (the reliable signals; metadata can be copied or forged)."""
        return self.watermark_id is not None or self.manifest_id is not None

    @property
    def named_id(self) -> str | None:
        """The generation the evidence names: the watermark's, else the signed manifest's."""
        return self.watermark_id or self.manifest_id

    @property
    def ids_agree(self) -> bool | None:
        """Metadata and watermark name the same generation; None unless both are present."""
        if self.generation_id is None or self.watermark_id is None:
            return None
        return self.generation_id == self.watermark_id


class ProvenanceStamper:
    """Marks images as AI-made. Build once at start-up; `stamp` is safe to call from threads."""

    def __init__(
        self,
        *,
        generator: str | None = None,
        key_dir: Path | None = None,
        c2pa: bool = True,
        watermark_key: bytes = _watermark.DEFAULT_KEY,
        jpeg_quality: int = 92,
        png_compress_level: int = DEFAULT_PNG_LEVEL,
    ) -> None:
        self.generator = generator or default_generator()
        if not 50 <= jpeg_quality <= 100:
            raise ConfigurationError(f"`jpeg_quality` must be 50..100 but is {jpeg_quality}")
        if not 0 <= png_compress_level <= 9:
            raise ConfigurationError(
                f"`png_compress_level` must be 0..9 but is {png_compress_level}"
            )
        self.jpeg_quality = jpeg_quality
        self.png_compress_level = png_compress_level
        self._encode_options = {"jpeg_quality": jpeg_quality, "png_level": png_compress_level}
        _watermark.one_blas_thread()
        self._wm_key = watermark_key
        self._signer: _c2pa.C2paSigner | None = None
        self.trust_anchors_pem: bytes | None = None
        if c2pa:
            if key_dir is None:
                raise ConfigurationError("`key_dir` is needed to sign C2PA manifests (c2pa=True)")
            if not _c2pa.available():
                log.warning("C2PA manifests disabled: %s", _c2pa.install_hint())
            else:
                material = load_or_create(key_dir)
                self._signer = _c2pa.C2paSigner(material)
                self.trust_anchors_pem = material.ca_cert_pem

    @property
    def c2pa_enabled(self) -> bool:
        """True when stamped images get a signed C2PA manifest."""
        return self._signer is not None

    def stamp(
        self,
        image: Image.Image,
        *,
        generation_id: str,
        image_input: bool = False,
        fmt: str = "PNG",
        placeholder: bool = False,
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes:
        """Return `image` encoded as `fmt` carrying metadata, watermark and (if enabled) C2PA.

        `image_input`: the job took a user image, so the source type is the composite one.
        `ingredients`: the input pictures, recorded in the C2PA manifest.
        Raises `WatermarkNotReadable` if the watermark does not read back from the output: for
        PNG from the embedded pixels (lossless), for lossy formats from the encoded bytes.
        """
        validate_generation_id(generation_id)
        name = normalise_format(fmt)
        rgb, alpha = _split(image, keep_alpha=name == "PNG")
        bits = id_to_bits(generation_id)
        meta = Metadata(
            digital_source_type=COMPOSITE if image_input else TRAINED,
            generator=self.generator,
            generation_id=generation_id,
            placeholder=placeholder,
        )
        if name in LOSSLESS:
            # The reader's projection of these very pixels, made by `embed_checked`, is the
            # read-back: a lossless file decodes to exactly these pixels, so decoding it again
            # would compute the same numbers (docs/provenance.md, "Proof of the watermark").
            marked, reading = _watermark.embed_checked(rgb, bits, key=self._wm_key)
            if reading.generation_id != generation_id or reading.corrected_bits:
                marked, reading = _watermark.embed_checked(marked, bits, key=self._wm_key)
            if reading.generation_id != generation_id:
                raise WatermarkNotReadable()
            data = encode(_join(marked, alpha), name, meta, **self._encode_options)
        else:
            data = self._encode_lossy(rgb, alpha, bits, name, meta, generation_id)
        if self._signer is not None:
            data = self._signer.sign(
                data,
                fmt=name,
                generator=self.generator,
                generation_id=generation_id,
                digital_source_type=meta.digital_source_type or TRAINED,
                ingredients=ingredients,
            )
        return data

    def _encode_lossy(
        self,
        rgb: np.ndarray,
        alpha: Image.Image | None,
        bits: list[int],
        name: str,
        meta: Metadata,
        generation_id: str,
    ) -> bytes:
        """Encode, then read the watermark back from the encoded bytes: a lossy codec may eat
        into its margin, so only the released pixels prove it."""
        marked = _watermark.embed(rgb, bits, key=self._wm_key)
        # the configured quality twice (the second on pixels marked once more), then the
        # codec's best: small pictures leave the watermark little margin against quantisation
        qualities = (self.jpeg_quality, self.jpeg_quality, 100)
        for attempt, quality in enumerate(qualities):
            options = {**self._encode_options, "jpeg_quality": quality}
            data = encode(_join(marked, alpha), name, meta, **options)
            released = _pixels(Image.open(io.BytesIO(data), formats=[name]))
            if _watermark.read(released, key=self._wm_key).generation_id == generation_id:
                return data
            if attempt == 0:  # lossy encoding ate into the margin: mark once more and retry
                marked = _watermark.embed(marked, bits, key=self._wm_key)
        raise WatermarkNotReadable()

    def stamp_video(
        self,
        frames: Sequence[Image.Image | np.ndarray],
        fps: int,
        *,
        generation_id: str,
        image_input: bool = False,
        on_second: Callable[[int, int], None] | None = None,
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes:
        """Encode `frames` as an MP4 whose every frame carries the watermark of
        `generation_id`, with a signed C2PA manifest naming it (if enabled) and recording the
        input pictures as its ingredients (i2v: the still, `parentOf`)."""
        from limner.media.video import encode_mp4

        marked = _video.watermark_frames(frames, generation_id, key=self._wm_key)
        data = encode_mp4(marked, fps, on_second=on_second)
        if self._signer is not None:
            data = self._signer.sign(
                data,
                fmt="MP4",
                generator=self.generator,
                generation_id=generation_id,
                digital_source_type=COMPOSITE if image_input else TRAINED,
                ingredients=ingredients,
            )
        return data


def verify(
    data: bytes,
    *,
    watermark_key: bytes = _watermark.DEFAULT_KEY,
    trust_anchors_pem: bytes | None = None,
) -> VerifyResult:
    """Say what `data` (an encoded image or MP4 of any origin) carries of Limner's provenance."""
    if data[4:8] == b"ftyp":  # an ISO media file: MP4
        return _verify_video(data, watermark_key=watermark_key, trust_anchors_pem=trust_anchors_pem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # never a format beyond the three this server writes (no EPS, TIFF, ...)
            image = Image.open(io.BytesIO(data), formats=READ_FORMATS)
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        # PIL's message names its file object (`<_io.BytesIO object at 0x...>`): not for clients
        raise ValidationFailed(
            "image", "`image` is not a readable PNG, JPEG or WebP image"
        ) from exc
    fmt = image.format
    meta = read_metadata(image)
    reading = _watermark.read(_pixels(image), key=watermark_key)
    c2pa = (
        _c2pa.read(data, fmt=fmt, trust_anchors_pem=trust_anchors_pem)
        if fmt in ("PNG", "JPEG", "WEBP")
        else _c2pa.C2paReading(None, None)
    )
    source_type = meta.digital_source_type or c2pa.digital_source_type
    return VerifyResult(
        ai_generated=source_type in AI_SOURCE_TYPES or reading.generation_id is not None,
        generator=meta.generator,
        generation_id=meta.generation_id,
        watermark_id=reading.generation_id,
        watermark_confidence=reading.confidence,
        digital_source_type=source_type,
        c2pa_valid=c2pa.valid,
        c2pa_trusted=c2pa.trusted,
        placeholder=meta.placeholder,
        format=fmt,
        ingredients=c2pa.ingredients,
    )


def _verify_video(
    data: bytes, *, watermark_key: bytes, trust_anchors_pem: bytes | None
) -> VerifyResult:
    manifest = _video.read_manifest(data, trust_anchors_pem=trust_anchors_pem)
    reading = _video.read_watermark(data, key=watermark_key)
    signed_id = manifest.title if manifest.trusted else None
    if signed_id is not None and not _is_generation_id(signed_id):
        signed_id = None
    return VerifyResult(
        ai_generated=manifest.digital_source_type in AI_SOURCE_TYPES
        or reading.generation_id is not None,
        generator=None,
        generation_id=None,
        watermark_id=reading.generation_id,
        watermark_confidence=reading.confidence,
        digital_source_type=manifest.digital_source_type,
        c2pa_valid=manifest.valid,
        c2pa_trusted=manifest.trusted,
        placeholder=False,
        format="MP4",
        ingredients=manifest.ingredients,
        manifest_id=signed_id,
    )


def _is_generation_id(value: str) -> bool:
    try:
        validate_generation_id(value)
    except InvalidGenerationId:
        return False
    return True


def _pixels(image: Image.Image) -> np.ndarray:
    """RGB pixels as uint8; alpha is dropped (not composited), as it was when stamping."""
    if image.mode != "RGB":
        has_alpha = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA").convert("RGB") if has_alpha else image.convert("RGB")
    return np.asarray(image, dtype=np.uint8)


def _split(image: Image.Image, *, keep_alpha: bool) -> tuple[np.ndarray, Image.Image | None]:
    alpha = image.getchannel("A") if keep_alpha and image.mode in ("RGBA", "LA") else None
    return _pixels(image), alpha


def _join(rgb: np.ndarray, alpha: Image.Image | None) -> Image.Image:
    out = Image.fromarray(rgb)
    if alpha is not None:
        out.putalpha(alpha)
    return out
