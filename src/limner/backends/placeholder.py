"""Deterministic images with no model: for test keys, client integration work and the test suite.

The same spec and seed give the same pixels. Quality sets the size and style sets the palette, so
clients see realistic sizes and distinguishable styles. Every image says PLACEHOLDER in its pixels
(the provenance metadata says so too: `placeholder` in `limner verify`).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Hashable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from limner.backends.base import CharacterReferences, GenerationContext, GenerationSpec, Media
from limner.backends.batching import run_each
from limner.domain.prompts import PromptOptions
from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError, GenerationFailed
from limner.imaging.caption import EDGE_MARGIN
from limner.media.video import available as video_available

SIZES: dict[Quality, tuple[int, int]] = {Quality.fast: (512, 512), Quality.hires: (1024, 1024)}

# (top colour, bottom colour) of the background gradient for each style
PALETTES: dict[Style, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    Style.realistic: ((70, 110, 150), (200, 180, 150)),
    Style.anime: ((255, 150, 200), (120, 200, 255)),
    Style.nude: ((190, 140, 120), (90, 60, 70)),
}
STEPS = 4
#: images one batched call gathers
MAX_BATCH = 8
#: the embeddings-cache key of a character's palette (the version changes if the method does)
PALETTE_MODEL_KEY = "placeholder-palette-v1"
PALETTE_COLOURS = 3
#: the kinds of job it makes: text to image, image to image (a blend of the input), inpaint and
#: outpaint (a tinted, seeded transform of the canvas; the engine keeps it inside the mask), and
#: short videos with seeded motion (text to video; image to video starts from the input)
KINDS = frozenset({"t2i", "i2i", "inpaint", "outpaint", "t2v", "i2v"})
VIDEO_KINDS = frozenset({"t2v", "i2v"})
#: how far an inpaint or outpaint moves the canvas toward the seeded render
REPAINT_MIX = 0.7
#: the placeholder "model's" own frame rate and frame sizes for videos
VIDEO_FPS = 8
VIDEO_SIZES: dict[Quality, tuple[int, int]] = {Quality.fast: (256, 160), Quality.hires: (512, 320)}


class PlaceholderBackend:
    name = "placeholder"

    def __init__(self, *, failure_rate: float = 0.0, delay_s: float = 0.0) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ConfigurationError("placeholder failure rate must be between 0 and 1")
        self.failure_rate = failure_rate
        self.delay_s = delay_s
        self._chance = random.Random()

    def check_ready(self) -> None:
        return None

    def close(self) -> None:
        return None

    def supports(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        if kind in VIDEO_KINDS:
            return video_available()  # encoding needs PyAV (the `video` extra)
        return kind in KINDS

    def prompt_options(
        self, style: Style, quality: Quality, gender: Gender | None
    ) -> PromptOptions:
        return PromptOptions()

    def native_size(self, style: Style, quality: Quality) -> tuple[int, int]:
        return SIZES[quality]

    # -- batching (limner.devices.batching): images are made one by one, but the runner gathers
    # them as it does for a model, so the path is the same on every backend

    def batch_key(self, spec: GenerationSpec) -> Hashable | None:
        # a video is never batched: one clip already fills the model (and the memory) alone
        if spec.inputs or spec.kind in VIDEO_KINDS:
            return None
        return ("placeholder", spec.kind, spec.style, spec.quality)

    def batch_cap(self, spec: GenerationSpec) -> int:
        return MAX_BATCH

    def generate_batch(
        self, specs: Sequence[GenerationSpec], contexts: Sequence[GenerationContext]
    ) -> list[Media | BaseException]:
        return run_each(self.generate, specs, contexts)

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        for step in range(1, STEPS + 1):
            if self.delay_s:
                time.sleep(self.delay_s / STEPS)
            context.report(step, STEPS)
        if self.failure_rate and self._chance.random() < self.failure_rate:
            raise GenerationFailed(
                "The placeholder backend failed on purpose (LIMNER_PLACEHOLDER_FAILURE_RATE)."
            )
        if spec.kind in VIDEO_KINDS:
            return render_video(spec)
        image = render_placeholder(spec)
        if spec.character is not None:
            draw_character(image, spec.character)
        if spec.kind == "i2i" and spec.inputs:
            image = blend_input(image, spec.inputs[0], spec.strength)
        elif spec.kind in ("inpaint", "outpaint") and spec.inputs:
            # the whole canvas, repainted; the kind composites it back through the mask
            image = blend_input(image, spec.inputs[0], REPAINT_MIX).resize(spec.inputs[0].size)
        return Media.still(image)

    def reference_conditioning(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """For images: a character's references set the palette of its mark (`draw_character`);
        a video holds its character through the description and seed alone."""
        return kind not in VIDEO_KINDS


def character_palette(references: CharacterReferences) -> tuple[tuple[int, int, int], ...]:
    """The character's three colours, taken from its references once and then read from the
    embeddings cache: what this model "computes once" per character, like an image encoder."""
    key = f"{PALETTE_MODEL_KEY}:{references.digest}"
    data = references.embeddings.load(key)
    if data is None:
        pictures = references.load_images()
        strip = Image.new("RGB", (32 * len(pictures), 32))
        for index, picture in enumerate(pictures):
            strip.paste(picture.convert("RGB").resize((32, 32)), (32 * index, 0))
        quantized = strip.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
        palette = (quantized.getpalette() or [])[: 3 * PALETTE_COLOURS]
        palette += palette[-3:] * (PALETTE_COLOURS - len(palette) // 3)  # a flat picture
        data = bytes(palette)
        references.embeddings.store(key, data)
    return tuple(tuple(data[i : i + 3]) for i in range(0, len(data), 3))  # type: ignore[misc]


def character_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a character's mark is drawn: the same place in every scene."""
    width, height = size
    radius = round(min(width, height) * 0.2)
    cx, cy = width // 2, round(height * 0.42)
    return (cx - radius, cy - radius, cx + radius, cy + radius)


def draw_character(image: Image.Image, references: CharacterReferences) -> None:
    """The character, without a model: a disc in its palette with marks placed by its id, the
    same in any scene, prompt or seed (and different for another character)."""
    palette = character_palette(references)
    rng = np.random.default_rng(
        int.from_bytes(hashlib.sha256(references.character_id.encode()).digest()[:8], "big")
    )
    left, top, right, bottom = character_box(image.size)
    size = right - left
    draw = ImageDraw.Draw(image)
    draw.ellipse((left, top, right, bottom), fill=palette[0], outline=palette[1], width=3)
    for _ in range(6):
        x = left + size // 4 + int(rng.integers(0, size // 2))
        y = top + size // 4 + int(rng.integers(0, size // 2))
        mark = max(2, size // 12)
        draw.rectangle((x - mark, y - mark, x + mark, y + mark), fill=palette[2])


def render_video(spec: GenerationSpec) -> Media:
    """Pure function of the spec: the still of `render_placeholder` with a disc that moves along
    a seeded path; `i2v` starts from the input picture and blends into the render."""
    fps = spec.fps or VIDEO_FPS
    size = (spec.width, spec.height) if spec.width and spec.height else VIDEO_SIZES[spec.quality]
    count = (spec.duration_s or 1) * fps
    base = render_placeholder(spec).resize(size)
    source = spec.inputs[0].convert("RGB").resize(size) if spec.inputs else None
    digest = hashlib.sha256(f"{spec.prompt}\x00{spec.seed}\x00video".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    start = rng.random(2) * np.array(size)
    velocity = (rng.random(2) - 0.5) * np.array(size) / max(count, 1) * 2
    radius = max(4, min(size) // 8)
    frames = []
    for index in range(count):
        frame = base if source is None else Image.blend(source, base, index / max(count - 1, 1))
        frame = frame.copy()
        x, y = (start + velocity * index) % np.array(size)
        ImageDraw.Draw(frame).ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=(250, 240, 200)
        )
        frames.append(frame)
    return Media.video(tuple(frames), fps)


def blend_input(rendered: Image.Image, source: Image.Image, strength: float | None) -> Image.Image:
    """i2i without a model: the input, moved toward the render by `strength` (1 = the render)."""
    base = source.convert("RGB").resize(rendered.size)
    return Image.blend(base, rendered, 0.6 if strength is None else strength)


def render_placeholder(spec: GenerationSpec) -> Image.Image:
    """Pure function of (prompt, style, quality, seed): the same inputs give the same pixels."""
    native_width, native_height = SIZES[spec.quality]
    width, height = spec.width or native_width, spec.height or native_height
    digest = hashlib.sha256(
        f"{spec.prompt}\x00{spec.style}\x00{spec.quality}\x00{spec.seed}".encode()
    ).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))

    top, bottom = (np.array(c, dtype=np.float32) for c in PALETTES[spec.style])
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    pixels = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (height, width, 3)).copy()
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")

    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(12):  # seed-dependent shapes, so different seeds look different
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(width // 20, width // 5))
        colour = (*tuple(int(c) for c in rng.integers(0, 256, size=3)), 110)
        draw.ellipse((x0 - radius, y0 - radius, x0 + radius, y0 + radius), fill=colour)

    # one line on a dark band in the bottom edge strip, which no caption position covers
    # (caption.EDGE_MARGIN), so the label and a caption bar never overlap
    _, band_top, _, _ = label_box((width, height))
    draw.rectangle((0, band_top, width, height), fill=(0, 0, 0, 120))
    font = ImageFont.load_default(size=max(9, round(height * EDGE_MARGIN * 0.45)))
    draw.text(
        (width / 2, label_centre_y(height)),
        f"PLACEHOLDER · {spec.style} · {spec.quality} · seed {spec.seed}",
        font=font,
        fill=(255, 255, 255, 240),
        anchor="mm",
    )
    return image


def label_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where the label may ink: the bottom strip below every caption position."""
    width, height = size
    return (0, height - round(height * EDGE_MARGIN) + 1, width, height)


def label_centre_y(height: int) -> float:
    return height - height * EDGE_MARGIN / 2
