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


def random_caption(rng: random.Random) -> str:
    return rng.choice(RANDOM_CAPTIONS)


def draw_caption(image: Image.Image, text: str, position: CaptionPosition) -> Image.Image:
    """Return a copy of `image` with the caption bar drawn; the input is not changed."""
    base = image.convert("RGBA")
    width, height = base.size
    font_size = max(10, round(height * FONT_SHARE))
    font = ImageFont.load_default(size=font_size)
    padding = max(4, font_size // 2)

    lines = _wrap(text, font, width - 2 * padding)
    line_height = font_size + max(2, font_size // 4)
    bar_height = len(lines) * line_height + 2 * padding
    bar_top = {
        CaptionPosition.top: round(height * 0.08),
        CaptionPosition.center: (height - bar_height) // 2,
        CaptionPosition.bottom: height - bar_height - round(height * 0.08),
    }[position]
    bar_top = max(0, min(bar_top, height - bar_height))

    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle(
        (0, bar_top, width, bar_top + bar_height), fill=(0, 0, 0, round(255 * BAR_ALPHA))
    )
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
