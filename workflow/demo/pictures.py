"""Photos for the demo's published stories, drawn with Pillow (no files to ship, nothing to download): a
landscape at a given hour, different for each story."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1800, 1013  # 16:9


def _mix(a: tuple, b: tuple, t: float) -> tuple:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


PALETTES = [  # sky top, sky bottom, sun, far hills, near hills, ground
    ((32, 52, 92), (238, 160, 98), (255, 214, 150), (96, 84, 110), (58, 50, 70), (34, 30, 40)),
    ((118, 160, 204), (226, 232, 236), (255, 250, 235), (132, 150, 150), (88, 108, 96), (60, 72, 58)),
    ((44, 40, 70), (196, 110, 92), (255, 186, 120), (110, 80, 96), (70, 52, 66), (40, 32, 42)),
    ((150, 176, 196), (232, 222, 200), (255, 244, 214), (160, 150, 128), (120, 108, 86), (84, 74, 58)),
    ((20, 34, 60), (94, 120, 150), (236, 236, 220), (60, 72, 90), (40, 48, 62), (24, 28, 38)),
]


def landscape(seed: int) -> bytes:
    """A JPEG of hills under a sky, with a few houses and a road; ``seed`` chooses everything."""
    rng = random.Random(seed)
    sky_top, sky_bottom, sun, far, near, ground = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = int(HEIGHT * rng.uniform(0.55, 0.68))
    for y in range(horizon):
        draw.line([(0, y), (WIDTH, y)], fill=_mix(sky_top, sky_bottom, y / horizon))
    sun_x, sun_y, radius = rng.randint(200, WIDTH - 200), int(horizon * rng.uniform(0.45, 0.85)), rng.randint(50, 90)
    glow = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(glow).ellipse([sun_x - radius * 3, sun_y - radius * 3, sun_x + radius * 3, sun_y + radius * 3],
                                 fill=90)
    image.paste(sun, (0, 0), glow.filter(ImageFilter.GaussianBlur(radius)))
    draw.ellipse([sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=sun)
    for colour, base, amplitude in ((far, horizon - 40, 90), (near, horizon + 10, 60)):
        points, x = [(0, HEIGHT)], 0
        y = base - rng.randint(0, amplitude)
        while x <= WIDTH:
            points.append((x, y))
            x += rng.randint(60, 160)
            y = max(base - amplitude, min(base + 20, y + rng.randint(-45, 45)))
        points += [(WIDTH, y), (WIDTH, HEIGHT)]
        draw.polygon(points, fill=colour)
    draw.rectangle([0, horizon + 30, WIDTH, HEIGHT], fill=ground)
    for _ in range(rng.randint(5, 11)):  # houses on the near hill, some windows lit
        w, h = rng.randint(50, 110), rng.randint(40, 80)
        x, y = rng.randint(0, WIDTH - w), horizon + rng.randint(0, 25)
        draw.rectangle([x, y - h, x + w, y + 30], fill=_mix(near, ground, 0.6))
        draw.polygon([(x - 8, y - h), (x + w // 2, y - h - rng.randint(20, 40)), (x + w + 8, y - h)],
                     fill=_mix(near, ground, 0.8))
        if rng.random() < 0.6:
            draw.rectangle([x + w // 3, y - h // 2, x + w // 3 + 14, y - h // 2 + 14], fill=(255, 214, 140))
    road = [(WIDTH * rng.uniform(0.35, 0.6), horizon + 30), (WIDTH * rng.uniform(0.1, 0.9), HEIGHT)]
    draw.line(road, fill=_mix(ground, sky_bottom, 0.35), width=rng.randint(50, 90))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()
