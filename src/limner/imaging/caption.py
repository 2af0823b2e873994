"""The snap caption: a translucent full-width bar with centred white text, like a chat-app story.

Sized to the image: the font is a fixed share of the image height, the text wraps to the image
width (at most three lines), and the bar is as tall as the text plus padding.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from limner.domain.styles import CaptionPosition

#: captions used for `snap_caption: true`; ordinary chat-app phrases
RANDOM_CAPTIONS: Sequence[str] = (
    "just woke up",
    "guess where I am",
    "sunday mood",
    "coffee first",
    "on my way",
    "missing the beach already",
    "new haircut, thoughts?",
    "best view in town",
    "weekend plans?",
    "can't stop smiling today",
    "golden hour hits different",
    "long day, finally home",
)

FONT_SHARE = 0.045  # font size as a share of the image height
BAR_ALPHA = 0.55  # opacity of the black bar
MAX_LINES = 3
#: the top and bottom bars keep this share of the height free at the image's edges; the
#: placeholder backend writes its label in the bottom strip, so caption and label never overlap
EDGE_MARGIN = 0.08


def random_caption(rng: random.Random) -> str:
    return rng.choice(RANDOM_CAPTIONS)


def caption_box(
    size: tuple[int, int], text: str, position: CaptionPosition
) -> tuple[int, int, int, int]:
    """The bar's (left, top, right, bottom) on an image of `size`."""
    width, height = size
    _font_size, padding, line_height, lines = _layout(size, text)
    bar_height = len(lines) * line_height + 2 * padding
    bar_top = {
        CaptionPosition.top: round(height * EDGE_MARGIN),
        CaptionPosition.center: (height - bar_height) // 2,
        CaptionPosition.bottom: height - bar_height - round(height * EDGE_MARGIN),
    }[position]
    bar_top = max(0, min(bar_top, height - bar_height))
    return (0, bar_top, width, bar_top + bar_height)


def _layout(size: tuple[int, int], text: str) -> tuple[int, int, int, list[str]]:
    width, height = size
    font_size = max(10, round(height * FONT_SHARE))
    padding = max(4, font_size // 2)
    lines = _wrap(text, ImageFont.load_default(size=font_size), width - 2 * padding)
    return font_size, padding, font_size + max(2, font_size // 4), lines


def draw_caption(image: Image.Image, text: str, position: CaptionPosition) -> Image.Image:
    """Return a copy of `image` with the caption bar drawn; the input is not changed."""
    base = image.convert("RGBA")
    width, _height = base.size
    font_size, padding, line_height, lines = _layout(base.size, text)
    font = ImageFont.load_default(size=font_size)
    _left, bar_top, _right, bar_bottom = caption_box(base.size, text, position)

    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, bar_top, width, bar_bottom), fill=(0, 0, 0, round(255 * BAR_ALPHA)))
    for index, line in enumerate(lines):
        centre_y = bar_top + padding + index * line_height + line_height / 2
        draw.text((width / 2, centre_y), line, font=font, fill=(255, 255, 255, 255), anchor="mm")
    return Image.alpha_composite(base, overlay).convert("RGB")


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: int
) -> list[str]:
    """Greedy word wrap; words longer than a line are cut by characters; at most MAX_LINES."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > max_width and len(word) > 1:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > max_width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1].rstrip(".") + "…"
    return lines
