"""Draw the sample input pictures the README and docs/studio.md use: `harbour.jpg` (a harbour at
dusk, 512x384) and `mask.png` (white = repaint: a patch of water for a boat). Deterministic, so
rerunning it rewrites the same pictures: `python docs/samples/make.py`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = (512, 384)
HORIZON = 200
#: the patch of water the README's inpaint line repaints ("a red boat")
BOAT_BOX = (150, 250, 330, 340)


def harbour() -> Image.Image:
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(HORIZON):  # dusk sky: deep blue to orange at the horizon
        t = y / HORIZON
        draw.line(
            [(0, y), (SIZE[0], y)], fill=(int(40 + 200 * t), int(50 + 90 * t), int(120 - 60 * t))
        )
    for y in range(HORIZON, SIZE[1]):  # water, darker towards the viewer
        t = (y - HORIZON) / (SIZE[1] - HORIZON)
        draw.line(
            [(0, y), (SIZE[0], y)],
            fill=(int(30 + 20 * (1 - t)), int(70 - 30 * t), int(110 - 40 * t)),
        )
    for x in range(0, SIZE[0], 24):  # ripples
        for y in range(HORIZON + 12, SIZE[1], 18):
            draw.line([(x + (y % 36), y), (x + (y % 36) + 10, y)], fill=(90, 110, 140))
    draw.ellipse((330, 150, 390, 210), fill=(250, 190, 110))  # the setting sun
    draw.rectangle((0, HORIZON - 6, SIZE[0], HORIZON), fill=(60, 55, 60))  # the far quay
    draw.rectangle((380, 200, 512, 230), fill=(90, 70, 55))  # a pier
    for x in range(390, 512, 30):
        draw.rectangle((x, 230, x + 6, 300), fill=(70, 55, 45))
    draw.rectangle((430, 110, 446, 200), fill=(220, 220, 210))  # a lighthouse
    draw.polygon([(426, 110), (450, 110), (438, 92)], fill=(180, 40, 40))
    return image


def mask() -> Image.Image:
    image = Image.new("L", SIZE, 0)
    ImageDraw.Draw(image).rectangle(BOAT_BOX, fill=255)
    return image


def main() -> None:
    harbour().save(HERE / "harbour.jpg", quality=88)
    mask().save(HERE / "mask.png", optimize=True)


if __name__ == "__main__":
    main()
