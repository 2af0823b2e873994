"""The invisible watermark: a 112-bit payload hidden in an image's luminance, and read back.

Scheme (spread-transform dither modulation, numpy + Pillow only):

1. The luminance is resized to a fixed 128x128 "canonical" grid, so any later resize of the whole
   image (keeping or changing its aspect ratio) lands on the same grid.
2. A band of low-to-mid DCT frequencies of that grid is split, by a keyed hash, into one carrier
   per payload bit (about 12 coefficients each, each with a keyed sign).
3. Each bit sets the projection of the grid onto its carrier to a point of one of two interleaved
   lattices (spacing `step`, keyed dither). Unlike additive spread spectrum, the image itself does
   not add noise to the reading, so small and flat images carry it as well as busy ones.
4. The change is made in the 128x128 DCT domain, brought back to the image's size and added equally
   to R, G and B (which moves luminance only). A few passes correct for resampling and rounding.

Reading repeats steps 1-2 and takes, per bit, the nearer lattice; the payload's CRC-32 decides
whether a watermark is present. Carriers derive from SHA-256 of the key, never from a random
number generator, so a numpy upgrade cannot change them and strand images already released.

Survives: lossless re-saves, JPEG (q >= 70 at 256 px and up), uniform resizes, small brightness
shifts. Does not survive: crops, rotations, flips, large contrast changes, heavy filtering.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

from limner.provenance._ids import PAYLOAD_BITS, bits_to_id

CANONICAL = 128
#: DCT band used, as bounds on u + v and on max(u, v) of the 128x128 grid
BAND_SUM = (4, 56)
BAND_MAX = 40
DEFAULT_KEY = b"limner-watermark-v1"
#: lattice spacing of the per-bit projection, in 8-bit luminance units of the canonical grid
DEFAULT_STEP = 36.0
#: passes of embed-and-correct; the first does almost all of the work
PASSES = 4
#: when the CRC fails, try flipping up to this many of the least certain bits among the weakest few
MAX_FLIPS = 2
WEAKEST = 6


@dataclass(frozen=True)
class Reading:
    """What the watermark reader found: the id (None if no valid watermark) and its confidence."""

    generation_id: str | None
    #: mean per-bit certainty in [0, 1]: about 0.64 when unmarked, near 1 when freshly marked
    confidence: float
    #: payload bits that had to be corrected to pass the CRC
    corrected_bits: int = 0


@dataclass(frozen=True)
class _Carriers:
    rows: np.ndarray  # coefficient row per band entry
    cols: np.ndarray
    bit: np.ndarray  # payload bit index per band entry
    sign: np.ndarray  # +1/-1 per band entry
    norm: np.ndarray  # sqrt(coefficients per bit), per bit
    dither: np.ndarray  # fraction of a step, per bit


@lru_cache(maxsize=1)
def one_blas_thread() -> None:
    """Run numpy's own BLAS on one thread in this process (once; later calls do nothing).

    The watermark's matrix products are small (41 x 128 x 128): OpenBLAS's extra threads only
    spin-wait on them, and with a few requests stamping at once they made the stamp ten times
    slower on a 2-core machine. Only the BLAS library numpy loaded is limited, so torch's own
    kernels keep their threads.
    """
    from threadpoolctl import ThreadpoolController

    package = Path(np.__file__).resolve().parent
    # wheels keep the library in site-packages/numpy.libs, other builds under numpy/
    homes = (package, package.with_name("numpy.libs"))
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        if any(Path(lib.filepath).resolve().is_relative_to(home) for home in homes):
            lib.set_num_threads(1)


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    n = CANONICAL
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    mat = np.sqrt(2.0 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    mat[0, :] = np.sqrt(1.0 / n)
    return mat.astype(np.float64)


def _hash_int(key: bytes, label: bytes, index: int) -> int:
    digest = hashlib.sha256(key + b"/" + label + b"/" + index.to_bytes(4, "big")).digest()
    return int.from_bytes(digest[:8], "big")


@lru_cache(maxsize=8)
def _carriers(key: bytes) -> _Carriers:
    coords = [
        (u, v)
        for u in range(BAND_MAX + 1)
        for v in range(BAND_MAX + 1)
        if BAND_SUM[0] <= u + v <= BAND_SUM[1]
    ]
    order = sorted(range(len(coords)), key=lambda i: _hash_int(key, b"order", i))
    rows = np.array([coords[i][0] for i in order])
    cols = np.array([coords[i][1] for i in order])
    bit = np.arange(len(order)) % PAYLOAD_BITS
    sign = np.array([1.0 if _hash_int(key, b"sign", i) & 1 else -1.0 for i in range(len(order))])
    counts = np.bincount(bit, minlength=PAYLOAD_BITS)
    dither = np.array([_hash_int(key, b"dither", b) / 2.0**64 for b in range(PAYLOAD_BITS)])
    return _Carriers(rows, cols, bit, sign, np.sqrt(counts.astype(np.float64)), dither)


def _luma(rgb: np.ndarray) -> np.ndarray:
    # Pillow's "L" conversion is ITU-R 601 luma rounded to 8 bits, ten times faster than numpy;
    # the rounding averages out over the thousands of pixels behind each canonical sample.
    gray = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).convert("L")
    return np.asarray(gray, dtype=np.float32)


def _resize(plane: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """Resize a float plane to `size` = (width, height) with Pillow's 32-bit float mode."""
    out = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32)).resize(size, resample)
    return np.asarray(out, dtype=np.float64)


def _project(luma: np.ndarray, carriers: _Carriers) -> np.ndarray:
    grid = _resize(luma, (CANONICAL, CANONICAL), Image.Resampling.BILINEAR)
    # only the band's rows and columns of the 2-D DCT are read: the same coefficients as the
    # full transform at a tenth of the work
    band = _dct_band()
    coefs = band @ grid @ band.T
    weighted = coefs[carriers.rows, carriers.cols] * carriers.sign
    return np.bincount(carriers.bit, weights=weighted, minlength=PAYLOAD_BITS) / carriers.norm


@lru_cache(maxsize=1)
def _dct_band() -> np.ndarray:
    """The first BAND_MAX + 1 rows of the DCT matrix: every carrier's row and column index."""
    return np.ascontiguousarray(_dct_matrix()[: BAND_MAX + 1])


def embed(
    rgb: np.ndarray, bits: list[int], *, key: bytes = DEFAULT_KEY, step: float = DEFAULT_STEP
) -> np.ndarray:
    """Return a copy of `rgb` (H x W x 3 uint8) carrying `bits`; the change is luminance only."""
    return embed_checked(rgb, bits, key=key, step=step)[0]


def embed_checked(
    rgb: np.ndarray, bits: list[int], *, key: bytes = DEFAULT_KEY, step: float = DEFAULT_STEP
) -> tuple[np.ndarray, Reading]:
    """`embed`, and what `read` finds in the returned pixels, computed by the very projection
    `read` makes (so a lossless encoding of those pixels needs no read-back to prove the mark)."""
    if len(bits) != PAYLOAD_BITS:
        raise ValueError(f"`bits` must have {PAYLOAD_BITS} entries but has {len(bits)}")
    carriers = _carriers(key)
    height, width = rgb.shape[:2]
    wanted = np.asarray(bits, dtype=np.float64)
    band = _dct_band()
    size = BAND_MAX + 1

    # Aim each bit at the nearest point of its lattice: offset (dither + bit/2) * step.
    offset = (carriers.dither + wanted / 2.0) * step
    projection = _project(_luma(rgb), carriers)
    target = np.round((projection - offset) / step) * step + offset

    base = rgb.astype(np.float32)
    shift = np.zeros((height, width), dtype=np.float32)  # the luminance change so far
    current = rgb
    for _ in range(PASSES):
        error = target - projection
        if np.max(np.abs(error)) < step * 0.02:
            break
        coefs = np.zeros((size, size))
        np.add.at(
            coefs,
            (carriers.rows, carriers.cols),
            error[carriers.bit] * carriers.sign / carriers.norm[carriers.bit],
        )
        shift += _resize(band.T @ coefs @ band, (width, height), Image.Resampling.BICUBIC).astype(
            np.float32
        )
        moved = base + shift[:, :, None]
        np.rint(moved, out=moved)
        np.clip(moved, 0, 255, out=moved)
        current = moved.astype(np.uint8)
        projection = _project(_luma(current), carriers)
    return current, _decide(projection, carriers, step)


def read_bits(
    rgb: np.ndarray, *, key: bytes = DEFAULT_KEY, step: float = DEFAULT_STEP
) -> tuple[list[int], np.ndarray]:
    """Return hard bits and per-bit certainty (0 on a lattice boundary, 1 on a lattice point)."""
    carriers = _carriers(key)
    return _bits(_project(_luma(rgb), carriers), carriers, step)


def _bits(projection: np.ndarray, carriers: _Carriers, step: float) -> tuple[list[int], np.ndarray]:
    phase = np.mod(projection / step - carriers.dither, 1.0)
    bits = ((phase >= 0.25) & (phase < 0.75)).astype(int).tolist()
    certainty = np.abs(np.cos(2.0 * np.pi * phase))
    return bits, certainty


def read(rgb: np.ndarray, *, key: bytes = DEFAULT_KEY, step: float = DEFAULT_STEP) -> Reading:
    """Decode the watermark of `rgb`; `generation_id` is None when none passes the CRC."""
    return _decide(_project(_luma(rgb), _carriers(key)), _carriers(key), step)


def _decide(projection: np.ndarray, carriers: _Carriers, step: float) -> Reading:
    bits, certainty = _bits(projection, carriers, step)
    confidence = float(certainty.mean())
    found = bits_to_id(bits)
    if found is not None:
        return Reading(found, confidence, 0)
    weakest = [int(i) for i in np.argsort(certainty)[:WEAKEST]]
    for flips in range(1, MAX_FLIPS + 1):
        for chosen in combinations(weakest, flips):
            trial = list(bits)
            for i in chosen:
                trial[i] ^= 1
            found = bits_to_id(trial)
            if found is not None:
                return Reading(found, confidence, flips)
    return Reading(None, confidence, 0)
