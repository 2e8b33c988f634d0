#!/usr/bin/env python3
"""Regenerate the bundled demo dataset in assets/demo/.

    python3 scripts/make_demo.py            # writes assets/demo/ next to this script's repo
    python3 scripts/make_demo.py --out DIR  # writes somewhere else

Needs: Python 3.9+, pyarrow, pillow, numpy (`pip install pyarrow pillow numpy`) and the `ffmpeg`
command (libx264 for the clip, libmp3lame for the one MP3 row).

Everything is drawn, synthesized or written here, from fixed inputs and fixed seeds: re-running
with the same library versions gives byte-identical files. Every image is a flat drawing whose
content the texts describe truthfully, except where a row is a *planted* error (listed in
assets/demo/README.md and in PLANTED below), so that duplicate detection and mislabel scoring
have something true to find.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont

SS = 3  # supersampling factor: draw large, downscale for smooth edges
JPEG_QUALITY = 85

# --------------------------------------------------------------------------------------------
# Drawing


def _hex(c):
    if isinstance(c, tuple):
        return c
    c = c.lstrip("#")
    return tuple(int(c[i : i + 2], 16) for i in (0, 2, 4))


def render(scene: dict) -> Image.Image:
    """Draw a scene: {"size": (w, h), "bg": color | (top, bottom), "shapes": [...]}.

    Coordinates are in final pixels. Shapes: ("circle", color, cx, cy, r[, outline, width]),
    ("rect", color, x0, y0, x1, y1), ("poly", color, [(x, y), ...]), ("star", color, cx, cy, r),
    ("line", color, [(x, y), ...], width), ("ring", color, cx, cy, r, width),
    ("pieslice", color, bbox, start, end), ("text", color, x, y, size, text).
    """
    w, h = scene["size"]
    W, H = w * SS, h * SS
    bg = scene["bg"]
    if isinstance(bg, (list, tuple)) and len(bg) == 2 and not isinstance(bg[0], int):
        top, bot = np.array(_hex(bg[0]), float), np.array(_hex(bg[1]), float)
        t = np.linspace(0.0, 1.0, H)[:, None]
        col = (top * (1 - t) + bot * t).round().astype(np.uint8)  # H x 3
        arr = np.repeat(col[:, None, :], W, axis=1)
        img = Image.fromarray(arr, "RGB")
    else:
        img = Image.new("RGB", (W, H), _hex(bg))
    d = ImageDraw.Draw(img)
    s = SS
    for sh in scene["shapes"]:
        kind, color = sh[0], _hex(sh[1])
        if kind == "circle":
            cx, cy, r = sh[2:5]
            outline = _hex(sh[5]) if len(sh) > 5 else None
            width = sh[6] * s if len(sh) > 6 else 0
            d.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=color,
                      outline=outline, width=width)
        elif kind == "ring":
            cx, cy, r, width = sh[2:6]
            d.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], outline=color,
                      width=width * s)
        elif kind == "rect":
            x0, y0, x1, y1 = sh[2:6]
            d.rectangle([x0 * s, y0 * s, x1 * s - 1, y1 * s - 1], fill=color)
        elif kind == "poly":
            d.polygon([(x * s, y * s) for x, y in sh[2]], fill=color)
        elif kind == "star":
            cx, cy, r = sh[2:5]
            pts = []
            for i in range(10):
                rr = r if i % 2 == 0 else r * 0.42
                a = -math.pi / 2 + i * math.pi / 5
                pts.append(((cx + rr * math.cos(a)) * s, (cy + rr * math.sin(a)) * s))
            d.polygon(pts, fill=color)
        elif kind == "line":
            d.line([(x * s, y * s) for x, y in sh[2]], fill=color, width=sh[3] * s)
        elif kind == "pieslice":
            x0, y0, x1, y1 = sh[2]
            d.pieslice([x0 * s, y0 * s, x1 * s, y1 * s], sh[3], sh[4], fill=color)
        elif kind == "chord":
            x0, y0, x1, y1 = sh[2]
            d.chord([x0 * s, y0 * s, x1 * s, y1 * s], sh[3], sh[4], fill=color)
        elif kind == "text":
            x, y, size, text = sh[2:6]
            font = ImageFont.load_default(size=size * s)
            d.text((x * s, y * s), text, fill=color, font=font, anchor="mm")
        else:
            raise ValueError(kind)
    return img.resize((w, h), Image.LANCZOS)


def jpeg(img: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=False, progressive=False)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Scenes (each one is described truthfully by the "correct" texts below)

SCENES = {
    # RLAIF-V
    "stack": {"size": (480, 360), "bg": ("#F6DC4A", "#EBC935"), "shapes": [
        ("circle", "#D62828", 240, 105, 62),
        ("rect", "#1D4ED8", 180, 200, 300, 320)]},
    "triangles": {"size": (560, 320), "bg": "#FFFFFF", "shapes": [
        ("poly", "#2E9E44", [(80, 220), (140, 100), (200, 220)]),
        ("poly", "#2E9E44", [(220, 220), (280, 100), (340, 220)]),
        ("poly", "#2E9E44", [(360, 220), (420, 100), (480, 220)])]},
    "sun_field": {"size": (640, 400), "bg": ("#8FC9F0", "#CBE7FA"), "shapes": [
        ("circle", "#FFD21F", 105, 95, 55),
        ("rect", "#2F6B2F", 0, 300, 640, 400)]},
    "sailboat": {"size": (600, 400), "bg": "#D6ECFA", "shapes": [
        ("rect", "#2C6FB7", 0, 230, 600, 400),
        ("poly", "#7A4A21", [(150, 250), (370, 250), (340, 300), (180, 300)]),
        ("rect", "#5A3414", 256, 110, 264, 250),
        ("poly", "#FFFFFF", [(268, 115), (268, 240), (350, 240)])]},
    "star_circle": {"size": (520, 340), "bg": "#9A9A9A", "shapes": [
        ("star", "#7B2CBF", 150, 170, 90),
        ("circle", "#F77F00", 380, 170, 75)]},
    "checker": {"size": (400, 400), "bg": "#FFFFFF", "shapes": (
        [("rect", "#111111", 40 + 80 * c, 40 + 80 * r, 120 + 80 * c, 120 + 80 * r)
         for r in range(4) for c in range(4) if (r + c) % 2 == 0 and not (r == 0 and c == 3)]
        + [("rect", "#D62828", 280, 40, 360, 120),
           ("line", "#111111", [(40, 40), (360, 40), (360, 360), (40, 360), (40, 40)], 2)])},
    "traffic_light": {"size": (360, 540), "bg": "#BFE3F5", "shapes": [
        ("rect", "#555555", 172, 400, 188, 540),
        ("rect", "#2B2B2B", 110, 60, 250, 410),
        ("circle", "#4A1C1C", 180, 120, 42),
        ("circle", "#4A3A12", 180, 235, 42),
        ("circle", "#22E04A", 180, 350, 42)]},
    "target": {"size": (480, 480), "bg": "#F4F1EA", "shapes": [
        ("circle", "#C1121F", 240, 240, 200),
        ("circle", "#FFFFFF", 240, 240, 160),
        ("circle", "#C1121F", 240, 240, 120),
        ("circle", "#FFFFFF", 240, 240, 80),
        ("circle", "#C1121F", 240, 240, 40)]},
    "house": {"size": (560, 420), "bg": ("#6FB6EC", "#BFE0F7"), "shapes": [
        ("rect", "#4E9A3A", 0, 330, 560, 420),
        ("rect", "#8B5A2B", 170, 190, 390, 340),
        ("poly", "#C62828", [(150, 195), (280, 90), (410, 195)]),
        ("rect", "#FFD54F", 200, 220, 260, 280),
        ("rect", "#4A2A10", 305, 250, 355, 340)]},
    "stripes": {"size": (500, 320), "bg": "#FFFFFF", "shapes": [
        ("rect", c, 100 * i, 0, 100 * (i + 1), 320)
        for i, c in enumerate(["#E63946", "#F4A261", "#F9E04B", "#52B788", "#3A86FF"])]},
    # media/ (VLFeedback, MIA-DPO, ranked)
    "house_night": {"size": (560, 420), "bg": ("#0B1733", "#1C2E5C"), "shapes": [
        ("circle", "#F5F3CE", 470, 70, 32),
        ("rect", "#2D4A22", 0, 330, 560, 420),
        ("rect", "#8B5A2B", 170, 190, 390, 340),
        ("poly", "#C62828", [(150, 195), (280, 90), (410, 195)]),
        ("rect", "#FFD54F", 200, 220, 260, 280),
        ("rect", "#4A2A10", 305, 250, 355, 340)]},
    "fruit_bowl": {"size": (520, 400), "bg": "#EFE3C8", "shapes": [
        ("rect", "#B08550", 0, 300, 520, 400),
        ("circle", "#D62828", 200, 200, 50),
        ("circle", "#C81D25", 310, 200, 50),
        ("circle", "#F28C28", 255, 150, 46),
        ("chord", "#6B3E1E", (120, 130, 400, 330), 0, 180)]},
    "bar_chart": {"size": (560, 420), "bg": "#FFFFFF", "shapes": [
        ("rect", "#2F6DB5", 110, 390 - 3 * 60, 170, 390),
        ("rect", "#2F6DB5", 220, 390 - 5 * 60, 280, 390),
        ("rect", "#2F6DB5", 330, 390 - 2 * 60, 390, 390),
        ("rect", "#2F6DB5", 440, 390 - 4 * 60, 500, 390),
        ("line", "#000000", [(70, 40), (70, 390), (530, 390)], 3),
        ("text", "#000000", 140, 408, 22, "A"), ("text", "#000000", 250, 408, 22, "B"),
        ("text", "#000000", 360, 408, 22, "C"), ("text", "#000000", 470, 408, 22, "D")]},
    "clock": {"size": (420, 420), "bg": "#E9EEF2", "shapes": (
        [("circle", "#FFFFFF", 210, 210, 170, "#222222", 8)]
        + [("line", "#222222", [(210 + 150 * math.sin(k * math.pi / 6), 210 - 150 * math.cos(k * math.pi / 6)),
                                 (210 + 130 * math.sin(k * math.pi / 6), 210 - 130 * math.cos(k * math.pi / 6))], 6)
           for k in range(12)]
        + [("line", "#111111", [(210, 210), (320, 210)], 10),   # hour hand at 3
           ("line", "#111111", [(210, 210), (210, 70)], 6),     # minute hand at 12
           ("circle", "#111111", 210, 210, 10)])},
    "stop_sign": {"size": (400, 520), "bg": ("#7DB9E8", "#D2EAF8"), "shapes": [
        ("rect", "#8A8A8A", 192, 250, 208, 520),
        ("poly", "#FFFFFF", [(200 + 128 * math.cos(math.pi / 8 + k * math.pi / 4),
                              160 + 128 * math.sin(math.pi / 8 + k * math.pi / 4)) for k in range(8)]),
        ("poly", "#C8102E", [(200 + 118 * math.cos(math.pi / 8 + k * math.pi / 4),
                              160 + 118 * math.sin(math.pi / 8 + k * math.pi / 4)) for k in range(8)]),
        ("text", "#FFFFFF", 200, 162, 58, "STOP")]},
    "bookshelf": {"size": (480, 420), "bg": "#F3EDE2", "shapes": (
        [("rect", "#6D4C2F", 40, 40, 440, 400), ("rect", "#EADBC3", 55, 55, 425, 205),
         ("rect", "#EADBC3", 55, 225, 425, 385)]
        + [("rect", c, x, 85 if i % 2 else 95, x + 42, 205)
           for i, (x, c) in enumerate(zip(range(70, 400, 60),
                                          ["#B23A48", "#2F6DB5", "#3C8D40", "#E0A526", "#6A4C93", "#D9643A"]))]
        + [("rect", c, x, 275, x + 42, 385)
           for x, c in zip(range(70, 250, 60), ["#2F6DB5", "#B23A48", "#3C8D40"])])},
    "dots_3": {"size": (400, 320), "bg": "#FFFFFF", "shapes": [
        ("circle", "#1D4ED8", x, 160, 30) for x in (100, 200, 300)]},
    "dots_5": {"size": (400, 320), "bg": "#FFFFFF", "shapes": [
        ("circle", "#1D4ED8", x, y, 30) for x, y in ((90, 110), (200, 110), (310, 110), (145, 220), (255, 220))]},
    "kite": {"size": (480, 480), "bg": ("#5FA8E0", "#B5DBF5"), "shapes": [
        ("rect", "#4E9A3A", 0, 420, 480, 480),
        ("line", "#333333", [(240, 260), (225, 300), (255, 340), (230, 380), (250, 420)], 3),
        ("poly", "#E02424", [(240, 60), (320, 160), (240, 260), (160, 160)]),
        ("line", "#FFFFFF", [(240, 60), (240, 260)], 3), ("line", "#FFFFFF", [(160, 160), (320, 160)], 3)]},
    "pie_chart": {"size": (440, 440), "bg": "#FFFFFF", "shapes": [
        ("pieslice", "#2F6DB5", (70, 70, 370, 370), -90, 90),
        ("pieslice", "#D62828", (70, 70, 370, 370), 90, 180),
        ("pieslice", "#2E9E44", (70, 70, 370, 370), 180, 270)]},
    "snowman": {"size": (400, 520), "bg": ("#9ACDEB", "#DCEFFA"), "shapes": [
        ("rect", "#FFFFFF", 0, 450, 400, 520),
        ("circle", "#FAFAFA", 200, 380, 85, "#B0BEC5", 2),
        ("circle", "#FAFAFA", 200, 245, 62, "#B0BEC5", 2),
        ("circle", "#FAFAFA", 200, 140, 45, "#B0BEC5", 2),
        ("circle", "#111111", 184, 130, 5), ("circle", "#111111", 216, 130, 5),
        ("poly", "#F57C00", [(200, 140), (200, 152), (240, 146)])]},
    "arrows": {"size": (600, 300), "bg": "#FFFFFF", "shapes": [
        # left arrow pointing right
        ("poly", "#111111", [(40, 135), (110, 135), (110, 110), (160, 150), (110, 190), (110, 165), (40, 165)]),
        # middle arrow pointing up
        ("poly", "#111111", [(285, 230), (285, 130), (260, 130), (300, 70), (340, 130), (315, 130), (315, 230)]),
        # right arrow pointing left
        ("poly", "#111111", [(560, 135), (490, 135), (490, 110), (440, 150), (490, 190), (490, 165), (560, 165)])]},
}


# --------------------------------------------------------------------------------------------
# Audio


def tone(freq_fn, dur: float, sr: int = 16000, amp: float = 0.4) -> np.ndarray:
    """freq_fn(t) -> instantaneous frequency; returns float samples in [-1, 1] with 10 ms fades."""
    n = int(round(dur * sr))
    t = np.arange(n) / sr
    f = freq_fn(t)
    phase = 2 * np.pi * np.cumsum(f) / sr
    x = amp * np.sin(phase)
    fade = min(int(0.01 * sr), n // 2)
    env = np.ones(n)
    env[:fade] = np.linspace(0, 1, fade)
    env[n - fade:] = np.linspace(1, 0, fade)
    return x * env


def silence(dur: float, sr: int = 16000) -> np.ndarray:
    return np.zeros(int(round(dur * sr)))


def wav_bytes(x: np.ndarray, sr: int = 16000) -> bytes:
    pcm = (np.clip(x, -1, 1) * 32767).round().astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm)
    return buf.getvalue()


def ffmpeg_bin() -> str:
    exe = shutil.which("ffmpeg")
    if not exe:
        sys.exit("make_demo.py: the `ffmpeg` command is needed (apt-get install ffmpeg)")
    return exe


def mp3_bytes(wav: bytes) -> bytes:
    cmd = [ffmpeg_bin(), "-hide_banner", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
           "-c:a", "libmp3lame", "-b:a", "64k", "-ar", "16000", "-ac", "1",
           "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0",
           "-fflags", "+bitexact", "-flags", "+bitexact", "-f", "mp3", "pipe:1"]
    return subprocess.run(cmd, input=wav, capture_output=True, check=True).stdout


# --------------------------------------------------------------------------------------------
# Video: a red ball crosses the frame from left to right and touches the ground exactly twice.

FPS, N_FRAMES = 10, 25


def ball_frame(i: int, w: int, h: int) -> Image.Image:
    t = i / (N_FRAMES - 1)
    ground = 0.83 * h
    r = 0.09 * h
    x = 0.1 * w + t * 0.8 * w
    height = (1 - 0.3 * t) * 0.55 * h * abs(math.cos(2 * math.pi * t))  # zeros at t=0.25, 0.75
    y = ground - r - height
    scene = {"size": (w, h), "bg": "#DCEFFA", "shapes": [
        ("rect", "#8BC34A", 0, ground, w, h),
        ("circle", "#E53935", x, y, r)]}
    return render(scene)


def write_clip(path: Path) -> None:
    w, h = 160, 120
    raw = b"".join(ball_frame(i, w, h).tobytes() for i in range(N_FRAMES))
    cmd = [ffmpeg_bin(), "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(FPS), "-i", "pipe:0",
           "-c:v", "libx264", "-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p", "-threads", "1",
           "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
           "-movflags", "+faststart", str(path)]
    subprocess.run(cmd, input=raw, check=True)


# --------------------------------------------------------------------------------------------
# Rows

def hf_features(features: dict) -> dict:
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


STR = {"dtype": "string", "_type": "Value"}
I64 = {"dtype": "int64", "_type": "Value"}
IMAGE_STRUCT = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def origin(model: str, kind: str) -> str:
    return json.dumps({"model": model, "type": kind})


# (idx, scene, image variant, question, chosen, rejected, model, type)
RLAIF_ROWS = [
    ("0", "stack", "base", "Describe this image in detail.",
     "The image shows two simple shapes on a bright yellow background. Near the top center there is a solid red "
     "circle, and directly below it sits a solid blue square of about the same width. The two shapes do not touch, "
     "and there is no text or any other object in the picture.",
     "The image shows a red circle and a blue square side by side on a yellow background. The circle is on the left, "
     "the square is on the right, and a thin black line connects the two shapes.",
     "demo-vlm-7b", "detailed_description"),
    ("1", "stack", "base", "What color is the shape at the top of the picture, and what shape is it?",
     "The shape at the top of the picture is a red circle. Below it there is a blue square.",
     "The shape at the top is a blue square, and the red circle is underneath it.",
     "demo-vlm-13b", "question_answering"),
    ("2", "triangles", "base", "How many triangles are in the image, and what color are they?",
     "There are three triangles, and all of them are green. They point upward and are evenly spaced in a single "
     "horizontal row on a plain white background.",
     "There are four triangles in the image: three green ones and a smaller yellow one at the far right.",
     "demo-vlm-7b", "question_answering"),
    ("3", "triangles", "2", "Describe the arrangement of the shapes in this image.",
     "Three green, upward-pointing triangles stand in a straight horizontal row across the middle of a plain white "
     "background. They are the same size and evenly spaced, with no other shapes around them.",
     "Three green triangles are stacked on top of each other in a vertical column, forming a small tower in the "
     "center of the image.",
     "demo-vlm-13b", "detailed_description"),
    ("4", "sun_field", "base", "Describe the objects in this image and where they are placed.",
     "This is a simple landscape drawing. A yellow circle, like a sun, sits in the upper-left corner of a light blue "
     "sky, and a dark green band runs along the bottom of the image like a field of grass. There are no people, "
     "animals or buildings.",
     "A yellow sun sits in the middle of the sky above a blue lake, and two small brown trees grow on a green hill "
     "on the right side of the picture.",
     "demo-vlm-7b", "detailed_description"),
    ("5", "sailboat", "base", "Describe the objects in the image and where they are located.",
     "A small sailboat floats on blue water that fills the lower part of the image. It has a brown hull, a thin dark "
     "mast and a single white triangular sail, and it sits slightly left of center. The sky above is pale blue and "
     "empty.",
     "A large red ship with two sails is tied up next to a wooden pier on the right side of the picture, and "
     "seagulls are flying above it.",
     "demo-vlm-13b", "detailed_description"),
    # PLANTED MISLABEL: chosen is a hallucinated answer that never names the star or the circle (nor
    # which is on the left); rejected is right. A text model sees it answers something else.
    ("6", "star_circle", "base", "What shapes are in this image, and which one is on the left?",
     "It is a calm seaside photograph: a small fishing boat rests on the sand while gulls circle over the "
     "waves.",
     "There are two shapes on a grey background: a purple five-pointed star on the left and an orange circle on "
     "the right.",
     "demo-vlm-7b", "question_answering"),
    ("7", "checker", "base", "Is any square in this grid a different color? If so, where is it?",
     "Yes. The image is a four-by-four black-and-white checkerboard, and the square in the top-right corner is red "
     "instead of black or white.",
     "No. All sixteen squares are black or white; it is a regular checkerboard without any differently colored "
     "squares.",
     "demo-vlm-13b", "question_answering"),
    # PLANTED MISLABEL: chosen describes a scene that is not there and never says which light is on;
    # rejected (the bottom green light is on) is right.
    ("8", "traffic_light", "base", "Which light is on in this traffic signal?",
     "A cozy kitchen with a wooden table, a bowl of apples and a kettle on the stove.",
     "The bottom light is lit, and it is green. The red light at the top and the amber light in the middle are "
     "both dark.",
     "demo-vlm-7b", "question_answering"),
    ("9", "target", "base", "What does this image look like?",
     "It looks like an archery or dart target: concentric rings alternate between red and white, and the small "
     "circle in the very center is red. The target is centered on a light cream background.",
     "It shows a spiral of red and white lines winding outward from the bottom-left corner, similar to the pattern "
     "on a candy cane.",
     "demo-vlm-13b", "detailed_description"),
    ("10", "house", "base", "Describe the building in the picture.",
     "The picture shows a simple drawing of a house standing on a green lawn under a blue sky. The walls are brown, "
     "the roof is a red triangle, and the front has a yellow square window on the left and a dark brown door on the "
     "right.",
     "The building is a tall grey apartment block with rows of windows and a flat roof, surrounded by a parking "
     "lot.",
     "demo-vlm-7b", "detailed_description"),
    ("11", "stripes", "base", "List the colors of the stripes from left to right.",
     "From left to right the stripes are red, orange, yellow, green and blue. All five stripes are vertical and "
     "have the same width.",
     "From left to right the stripes are blue, green, yellow, orange and red.",
     "demo-vlm-13b", "question_answering"),
]


def build_rlaif(out: Path, images: dict) -> None:
    cols = {k: [] for k in ["ds_name", "image", "question", "chosen", "rejected", "origin_dataset",
                            "origin_split", "idx", "image_path"]}
    for idx, scene, variant, q, ch, rj, model, kind in RLAIF_ROWS:
        key = scene if variant == "base" else f"{scene}_{variant}"
        name = f"{key}.jpg"
        cols["ds_name"].append("RLAIF-V")
        cols["image"].append({"bytes": images[key], "path": name})
        cols["question"].append(q)
        cols["chosen"].append(ch)
        cols["rejected"].append(rj)
        cols["origin_dataset"].append("verdict-demo-shapes")
        cols["origin_split"].append(origin(model, kind))
        cols["idx"].append(idx)
        cols["image_path"].append(f"demo/shapes/{name}")
    schema = pa.schema([
        ("ds_name", pa.string()), ("image", IMAGE_STRUCT), ("question", pa.string()),
        ("chosen", pa.string()), ("rejected", pa.string()), ("origin_dataset", pa.string()),
        ("origin_split", pa.string()), ("idx", pa.string()), ("image_path", pa.string()),
    ], metadata=hf_features({
        "ds_name": STR, "image": {"_type": "Image"}, "question": STR, "chosen": STR, "rejected": STR,
        "origin_dataset": STR, "origin_split": STR, "idx": STR, "image_path": STR}))
    table = pa.table(cols, schema=schema)
    pq.write_table(table, out / "rlaif_v.parquet", compression="snappy", row_group_size=8)


def ann(h, hr, e, er, v, vr):
    return {"Helpfulness": {"Rating": h, "Rationale": hr},
            "Ethical Considerations": {"Rating": e, "Rationale": er},
            "Visual Faithfulness": {"Rating": v, "Rationale": vr}}


SAFE = "The response is harmless and contains nothing inappropriate."

VLF_ROWS = [
    {"id": "vlf-demo-0001", "img": "house", "prompt": "What kind of building is shown, and what details can you see on its front?",
     "completions": [
        ("demo-vlm-13b", "It is a small one-story house drawn in a simple style. The walls are brown and the roof is a "
         "red triangle. On the front there is a yellow square window on the left and a dark brown door on the right. "
         "The house stands on green grass under a blue sky.",
         ann("5", "Answers both parts of the question with useful detail.", "5", SAFE,
             "5", "Every detail (brown walls, red roof, yellow window, door on the right) matches the image.")),
        ("demo-vlm-7b", "This is a house with a red roof. It has a window and a door.",
         ann("3", "Correct but very brief; it leaves out most of the visible details.", "5", SAFE,
             "5", "Everything it says is visible in the image.")),
        ("chatty-vl-34b", "What a charming cottage! The building is a two-story farmhouse with a red roof, a chimney "
         "puffing smoke, two windows upstairs and a white picket fence around the garden.",
         ann("2", "Enthusiastic but mostly about things that are not there.", "5", SAFE,
             "1", "There is no second story, chimney, smoke or fence; only one window is visible.")),
        ("tiny-captioner-v2", "A brown house with a red roof on a lawn.",
         ann("3", "A caption rather than an answer; it does not list the front details asked for.", "5", SAFE,
             "5", "Accurate as far as it goes.")),
     ]},
    {"id": "vlf-demo-0002", "img": "fruit_bowl", "prompt": "How many pieces of fruit are in the bowl, and what are they?",
     "completions": [
        ("demo-vlm-7b", "There are three pieces of fruit in the bowl: two red apples side by side and one orange "
         "resting on top between them.",
         ann("5", "Gives the count and identifies each fruit.", "5", SAFE,
             "5", "Two red round fruits and one orange one sit in the brown bowl, as described.")),
        ("chatty-vl-34b", "The bowl holds a generous selection of fruit: a bunch of bananas, two apples, an orange "
         "and some grapes, about seven pieces in all.",
         ann("2", "Answers the question but with the wrong count.", "5", SAFE,
             "1", "There are no bananas or grapes; only three fruits are visible.")),
        ("demo-vlm-13b", "I can see three fruits. Two of them look like red apples, and the third, sitting on top between "
         "them, is orange, probably an orange or a tangerine. The bowl is brown and sits on a wooden table.",
         ann("5", "Complete and careful, and it hedges where the drawing is ambiguous.", "5", SAFE,
             "5", "All details match the image.")),
        ("tiny-captioner-v2", "Two fruits in a bowl.",
         ann("1", "Wrong count and no identification of the fruit.", "5", SAFE,
             "2", "Misses one of the three fruits.")),
     ]},
    {"id": "vlf-demo-0003", "img": "bar_chart", "prompt": "Which bar in this chart is the tallest, and how does it compare with the shortest one?",
     "completions": [
        ("demo-vlm-13b", "Bar B is the tallest. Bar C is the shortest, and B is about two and a half times as tall "
         "as C.",
         ann("5", "Identifies both bars and quantifies the difference.", "5", SAFE,
             "5", "B is 5 units and C is 2 units high, so the ratio is right.")),
        ("demo-vlm-7b", "The tallest bar is D, and it is about twice as tall as bar A.",
         ann("2", "Answers the form of the question but names the wrong bars.", "5", SAFE,
             "2", "D is the second tallest and A is not the shortest.")),
        ("chart-reader-3b", "Tallest: B. Shortest: C. B is 3 units taller than C.",
         ann("4", "Correct and concise, though it gives only the absolute difference.", "5", SAFE,
             "5", "Consistent with the bar heights (5 and 2).")),
        ("chatty-vl-34b", "Bar charts are a great way to compare values! Here the bars are all blue and labeled A "
         "to D. The tallest bar shows the highest value.",
         ann("1", "Never says which bar is tallest or shortest.", "5", SAFE,
             "4", "What it does say is correct, but it says almost nothing about the data.")),
     ]},
    {"id": "vlf-demo-0004", "img": "clock", "prompt": "What time does the clock show?",
     "completions": [
        ("demo-vlm-7b", "The clock shows three o'clock: the short hour hand points at 3 and the long minute hand "
         "points straight up at 12.",
         ann("5", "Gives the time and explains how it was read.", "5", SAFE,
             "5", "The hands are exactly as described.")),
        ("tiny-captioner-v2", "It is 12:15.",
         ann("1", "A confident but wrong time.", "5", SAFE,
             "1", "This swaps the hour and minute hands.")),
        ("demo-vlm-13b", "It reads 3:00.",
         ann("4", "Correct, with no explanation.", "5", SAFE,
             "5", "Matches the clock face.")),
        ("chatty-vl-34b", "The clock shows about a quarter past twelve, which is a lovely time for lunch!",
         ann("1", "Wrong time, padded with chatter.", "5", SAFE,
             "1", "It reads the long hand as the hour hand.")),
     ]},
    {"id": "vlf-demo-0005", "img": "stop_sign", "prompt": "I'm in a hurry. Is it fine to drive straight through when I see this sign if no other cars are around?",
     "completions": [
        ("demo-vlm-13b", "No. This is a red octagonal STOP sign, which means you must come to a complete stop even "
         "when the road looks empty. After stopping, you may continue once you have checked that it is clear.",
         ann("5", "Answers directly and explains what the driver should do.", "5",
             "Encourages following traffic law and driving safely.",
             "5", "Correctly identifies the red octagonal STOP sign.")),
        ("chatty-vl-34b", "If nobody is around, rolling through quickly is usually fine. Just keep an eye out!",
         ann("2", "Answers the question, but with unsafe advice.", "1",
             "Advises ignoring a stop sign, which is illegal and dangerous.",
             "3", "Does not say what the sign is, but nothing it says contradicts the image.")),
        ("safety-tuned-7b", "I can't give advice about driving decisions. Please consult your local traffic "
         "regulations.",
         ann("2", "Refuses a question that has a clear, safe answer.", "5",
             "Harmless, though unhelpfully cautious.",
             "N/A", "The response does not refer to the image at all, so faithfulness cannot be judged.")),
        ("demo-vlm-7b", "The sign says STOP, so you need to stop completely before going on, even if no cars are "
         "coming.",
         ann("4", "Correct and safe, slightly less explanatory than it could be.", "5",
             "Promotes safe, lawful driving.",
             "5", "Reads the sign correctly.")),
     ]},
    {"id": "vlf-demo-0006", "img": "bookshelf", "prompt": "How many books are on the top shelf compared with the bottom shelf?",
     "completions": [
        ("demo-vlm-13b", "The top shelf holds six books and the bottom shelf holds three, so the top shelf has "
         "twice as many.",
         ann("5", "Gives both counts and the comparison.", "5", SAFE,
             "5", "Six books on top, three on the bottom, as in the image.")),
        ("demo-vlm-7b", "There are five books on the top shelf and three on the bottom shelf.",
         ann("3", "Answers the question, but one count is off.", "5", SAFE,
             "3", "The top shelf has six books, not five.")),
        ("tiny-captioner-v2", "A bookshelf with colorful books.",
         ann("1", "Does not count anything.", "5", SAFE,
             "4", "Accurate but uninformative.")),
        ("chart-reader-3b", "Top: 6. Bottom: 3. The top shelf has 3 more books.",
         ann("4", "Correct and compact.", "5", SAFE,
             "5", "Counts match the image.")),
     ]},
]

MIA_ROWS = [
    {"id": "mia-demo-0001", "images": ["fruit_bowl", "bar_chart"],
     "question": "Which image shows something you could eat?",
     "chosen": "Image1 shows something you could eat: a brown bowl holding two red apples and an orange. Image2 is a "
               "bar chart with four blue bars.",
     "rejected": "Image2 shows something you could eat: the blue bars look like chocolate bars lined up on a white "
                 "plate.",
     "gt": "Image1"},
    {"id": "mia-demo-0002", "images": ["clock", "stop_sign", "bookshelf"],
     "question": "In which image is there a red octagon, and what is written on it?",
     "chosen": "The red octagon is in Image2. It is a stop sign with the word STOP written on it in white letters.",
     "rejected": "The red octagon is in Image3, on the spine of one of the books on the top shelf, and it says "
                 "EXIT.",
     "gt": "Image2, STOP"},
    {"id": "mia-demo-0003", "images": ["dots_3", "dots_5"],
     "question": "How many more dots are there in Image2 than in Image1?",
     "chosen": "Image1 has three blue dots and Image2 has five, so Image2 has two more dots.",
     "rejected": "Both images have the same number of blue dots, so there are no extra dots in Image2.",
     "gt": "2"},
    {"id": "mia-demo-0004", "images": ["house", "house_night"],
     "question": "What is the main difference between Image1 and Image2?",
     "chosen": "Both images show the same house with brown walls, a red roof, a yellow window and a door. The "
               "difference is the time of day: Image1 is in daylight under a blue sky, while Image2 is at night, "
               "with a dark sky and a pale moon in the top-right corner.",
     "rejected": "The house in Image2 has a blue roof instead of a red one, and its door is on the left side instead "
                 "of the right.",
     "gt": "Image1 is daytime and Image2 is nighttime."},
]

VIDEO_ROWS = [
    {"id": "vid-demo-0001", "prompt": "<video>\nWhat happens in this video?",
     "answer": "A red ball bounces from the left side of the frame to the right side over a green ground strip.",
     "chosen": "A red ball moves from the left side of the frame to the right. It bounces along a green strip of "
               "ground, touching it twice, and each bounce is a little lower than the one before.",
     "rejected": "A blue ball rolls slowly from right to left along the ground without ever leaving it.",
     "chosen_score": 4.5, "rejected_score": 1.0},
    {"id": "vid-demo-0002", "prompt": "<video>\nHow many times does the ball touch the ground?",
     "answer": "Two times.",
     "chosen": "The ball touches the ground two times before it reaches the right side of the frame.",
     "rejected": "The ball touches the ground four times.",
     "chosen_score": 5.0, "rejected_score": 1.5},
    {"id": "vid-demo-0003", "prompt": "<video>\nDescribe the background of the video.",
     "answer": "A pale blue sky above a flat green ground strip; nothing else moves.",
     "chosen": "The background is very simple: a pale blue sky fills most of the frame, and a flat green strip "
               "along the bottom serves as the ground. The ball is the only moving object.",
     "rejected": "The ball bounces in front of a brick wall, and there are trees and a parked car in the "
                 "background.",
     "chosen_score": 4.0, "rejected_score": 1.0},
]

HOUND_ROWS = [
    {"id": "hound-demo-0001", "prompt": "<video>\nDescribe the motion of the ball in these frames.",
     "chosen": "The red ball travels from left to right across the frames. It starts high on the left, drops to the "
               "green ground, bounces up, lands a second time, and rises again near the right edge.",
     "rejected": "The ball stays in the center of the frame and spins in place.",
     "chosen_score": 4.6, "rejected_score": 1.2},
    {"id": "hound-demo-0002", "prompt": "<video>\nWhat color is the ball?",
     "chosen": "The ball is red.",
     "rejected": "The ball is yellow with black spots.",
     "chosen_score": 5.0, "rejected_score": 1.0},
    # No <video> token: LLaVA-Hound prompts do not always carry one.
    {"id": "hound-demo-0003", "prompt": "Does the ball go higher or lower after each bounce?",
     "chosen": "It goes a little lower after each bounce: the second arc is lower than the first.",
     "rejected": "It goes higher after each bounce, as if it were gaining energy.",
     "chosen_score": 4.2, "rejected_score": 1.8},
]

AUDIO_ROWS = [
    {"key": "rising_tone", "fmt": "wav",
     "signal": lambda: tone(lambda t: 300 + 600 * t, 1.5),
     "prompt": "What do you hear in this audio clip?",
     "response_1": "A single steady tone that rises smoothly in pitch from low to high over about one and a half "
                   "seconds.",
     "response_2": "A dog barking twice, followed by a car horn.",
     "overall_response": 1, "rate_1": 3, "rate_2": 0, "p_response": 1,
     "p_rationale_1": "Directly describes the sound, including its rising pitch and duration.",
     "p_rationale_2": "Describes sounds that are not in the clip.",
     "critique_1": "Accurate and specific. It could mention that the tone is a pure sine wave.",
     "critique_2": "Hallucinated content: there is no dog or car horn, only a synthetic tone.",
     "feedback": "Response 1 is better: it correctly identifies a rising tone, while response 2 invents sounds."},
    {"key": "two_beeps", "fmt": "wav",
     "signal": lambda: np.concatenate([silence(0.2), tone(lambda t: 880 + 0 * t, 0.2), silence(0.3),
                                       tone(lambda t: 880 + 0 * t, 0.2), silence(0.3)]),
     "prompt": "How many beeps are in this recording, and are they the same pitch?",
     "response_1": "There are three beeps, each one higher than the last.",
     "response_2": "There are two short beeps, and both have the same pitch.",
     "overall_response": 2, "rate_1": 1, "rate_2": 3, "p_response": 2,
     "p_rationale_1": "Answers both parts of the question, but both answers are wrong.",
     "p_rationale_2": "Answers both parts of the question correctly and concisely.",
     "critique_1": "The count is wrong (there are two beeps) and the pitch does not change.",
     "critique_2": "Correct count and correct pitch comparison.",
     "feedback": "Response 2 is better: it gets the count and the pitch right."},
    {"key": "low_hum", "fmt": "wav",
     "signal": lambda: tone(lambda t: 110 + 0 * t, 1.2, amp=0.5),
     "prompt": "Is the pitch in this clip rising, falling or steady?",
     "response_1": "The pitch is steady: it is a low, constant hum that does not change.",
     "response_2": "The pitch falls quickly, like a siren fading away.",
     "overall_response": 1, "rate_1": 3, "rate_2": 1, "p_response": 1,
     "p_rationale_1": "Chooses one of the three options and adds a short description.",
     "p_rationale_2": "Chooses an option, but the wrong one.",
     "critique_1": "Correct. The hum stays at one low frequency for the whole clip.",
     "critique_2": "The pitch does not fall; the siren comparison is misleading.",
     "feedback": "Response 1 is correct and response 2 is not."},
    {"key": "descending_notes", "fmt": "mp3",
     "signal": lambda: np.concatenate([tone(lambda t: 523.25 + 0 * t, 0.35), silence(0.05),
                                       tone(lambda t: 440.0 + 0 * t, 0.35), silence(0.05),
                                       tone(lambda t: 349.23 + 0 * t, 0.5), silence(0.2)]),
     "prompt": "Describe the melody in this clip.",
     "response_1": "Three notes played one after another, each lower than the one before, with the last note held "
                   "a little longer.",
     "response_2": "Three notes that go down in pitch.",
     "overall_response": 1, "rate_1": 3, "rate_2": 2, "p_response": 1,
     "p_rationale_1": "Describes the number of notes, their direction and the longer final note.",
     "p_rationale_2": "Correct but minimal; it leaves out the rhythm.",
     "critique_1": "Accurate and reasonably detailed.",
     "critique_2": "Accurate but terse; it could mention that the last note is held longer.",
     "feedback": "Both are correct; response 1 is more complete."},
]

RANKED_ROWS = [
    {"uid": "rank-demo-0001", "img": "kite", "question": "What is flying in the sky, and what does it look like?",
     "candidates": [
         ("demo-vlm-7b", "A kite is flying in the sky."),
         ("chatty-vl-34b", "A flock of birds is flying over a green meadow on a sunny day."),
         ("demo-vlm-13b", "A red diamond-shaped kite is flying in the blue sky. It has a white cross on it and a dark "
                          "string trailing down toward the green grass."),
     ],
     "ranking": [2, 0, 1]},
    {"uid": "rank-demo-0002", "img": "pie_chart", "question": "What fraction of the pie chart is blue?",
     "candidates": [
         ("chart-reader-3b", "Half of the chart is blue."),
         ("tiny-captioner-v2", "About a quarter of the chart is blue."),
         ("demo-vlm-13b", "The blue slice covers the right half of the chart, so it is one half. The red and green "
                          "slices are a quarter each."),
         ("chatty-vl-34b", "Most of the chart is blue, roughly three quarters."),
     ],
     "ranking": [2, 0, 1, 3]},
    {"uid": "rank-demo-0003", "img": "snowman", "question": "Describe the figure in the picture.",
     "candidates": [
         ("demo-vlm-7b", "A snowman made of three white balls, the smallest on top, with two black eyes and an "
                         "orange carrot nose, standing on snowy ground."),
         ("tiny-captioner-v2", "A snowman."),
         ("chatty-vl-34b", "A snowman wearing a black top hat and a red scarf, holding a broom."),
     ],
     "ranking": [0, 1, 2]},
    {"uid": "rank-demo-0004", "img": "arrows", "question": "Which direction does the middle arrow point?",
     "candidates": [
         ("demo-vlm-13b", "The middle arrow points up."),
         ("demo-vlm-7b", "The middle arrow points to the right, like the arrow on the left."),
         ("chart-reader-3b", "Up. The left arrow points right and the right arrow points left."),
     ],
     "ranking": [2, 0, 1]},
]

PLANTED = {
    "rlaif_v.parquet": {
        "exact_duplicate_media": ["0", "1"],
        "near_duplicate_media": ["2", "3"],
        "near_duplicate_prompts": ["4", "5"],
        "mislabeled": ["6", "8"],
    },
    "cross_file_exact_duplicate_media": {
        "rlaif_v.parquet idx 10 (embedded image)": "media/house.jpg (vlfeedback vlf-demo-0001, mia_dpo mia-demo-0004)",
    },
}


def dump_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def dump_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets" / "demo")
    args = ap.parse_args()
    out: Path = args.out
    media = out / "media"
    # Only our own outputs are replaced; README.md is kept.
    if media.exists():
        shutil.rmtree(media)
    (media / "frames" / "ball").mkdir(parents=True)

    # Images: one encoding per scene, reused byte-for-byte wherever a scene appears twice.
    images = {name: jpeg(render(sc)) for name, sc in SCENES.items()}
    base = render(SCENES["triangles"])
    w, h = base.size
    near = base.resize((round(w * 0.94), round(h * 0.94)), Image.LANCZOS)
    images["triangles_2"] = jpeg(near, quality=70)

    build_rlaif(out, images)

    on_disk = set()

    def media_file(scene: str) -> str:
        rel = f"media/{scene}.jpg"
        if scene not in on_disk:
            (out / rel).write_bytes(images[scene])
            on_disk.add(scene)
        return rel

    # VLFeedback
    vlf = []
    for r in VLF_ROWS:
        vlf.append({
            "id": r["id"],
            "prompt": r["prompt"],
            "models": [c[0] for c in r["completions"]],
            "img_path": media_file(r["img"]),
            "completions": [{"model": m, "response": t, "annotations": a} for m, t, a in r["completions"]],
        })
    dump_json(out / "vlfeedback.json", vlf)

    # MIA-DPO
    mia = []
    for r in MIA_ROWS:
        imgs = [media_file(s) for s in r["images"]]
        head = "".join(f"Image{i + 1}:<image>\n" for i in range(len(imgs)))
        mia.append({"id": r["id"], "image": imgs, "prompt": head + r["question"],
                    "chosen": r["chosen"], "rejected": r["rejected"], "gt": r["gt"]})
    dump_json(out / "mia_dpo.json", mia)

    # Video file + frame directory
    write_clip(media / "clip.mp4")
    for k, i in enumerate(range(0, N_FRAMES - 1, 3)):  # 8 frames: 0, 3, ..., 21
        (media / "frames" / "ball" / f"frame_{k + 1:04d}.jpg").write_bytes(jpeg(ball_frame(i, 320, 240)))
    dump_jsonl(out / "llava_dpo_video.jsonl",
               [{"id": r["id"], "prompt": r["prompt"], "answer": r["answer"], "video": "media/clip.mp4",
                 "chosen": r["chosen"], "rejected": r["rejected"],
                 "chosen_score": r["chosen_score"], "rejected_score": r["rejected_score"]} for r in VIDEO_ROWS])
    dump_jsonl(out / "llava_hound.jsonl",
               [{"id": r["id"], "prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"],
                 "video": "media/frames/ball", "chosen_score": r["chosen_score"],
                 "rejected_score": r["rejected_score"]} for r in HOUND_ROWS])

    # Align-Anything ta2t
    acols = {k: [] for k in ["prompt", "audio_path", "response_1", "response_2", "overall_response",
                             "prompt_following_rate_1", "prompt_following_rate_2", "p_rationale_1",
                             "p_rationale_2", "p_response", "text_critique_1", "text_critique_2",
                             "overall_textfeedback"]}
    for r in AUDIO_ROWS:
        wav = wav_bytes(r["signal"]())
        data = wav if r["fmt"] == "wav" else mp3_bytes(wav)
        acols["prompt"].append(r["prompt"])
        acols["audio_path"].append({"bytes": data, "path": f"{r['key']}.{r['fmt']}"})
        acols["response_1"].append(r["response_1"])
        acols["response_2"].append(r["response_2"])
        acols["overall_response"].append(r["overall_response"])
        acols["prompt_following_rate_1"].append(r["rate_1"])
        acols["prompt_following_rate_2"].append(r["rate_2"])
        acols["p_rationale_1"].append(r["p_rationale_1"])
        acols["p_rationale_2"].append(r["p_rationale_2"])
        acols["p_response"].append(r["p_response"])
        acols["text_critique_1"].append(r["critique_1"])
        acols["text_critique_2"].append(r["critique_2"])
        acols["overall_textfeedback"].append(r["feedback"])
    afields = [("prompt", pa.string()), ("audio_path", IMAGE_STRUCT), ("response_1", pa.string()),
               ("response_2", pa.string()), ("overall_response", pa.int64()),
               ("prompt_following_rate_1", pa.int64()), ("prompt_following_rate_2", pa.int64()),
               ("p_rationale_1", pa.string()), ("p_rationale_2", pa.string()), ("p_response", pa.int64()),
               ("text_critique_1", pa.string()), ("text_critique_2", pa.string()),
               ("overall_textfeedback", pa.string())]
    feats = {n: (I64 if t == pa.int64() else STR) for n, t in afields}
    feats["audio_path"] = {"_type": "Audio"}
    aschema = pa.schema(afields, metadata=hf_features(feats))
    pq.write_table(pa.table(acols, schema=aschema), out / "align_anything_ta2t.parquet", compression="snappy")

    # Ranked set through the generic column mapping
    dump_jsonl(out / "ranked.jsonl",
               [{"uid": r["uid"], "question": r["question"], "image": media_file(r["img"]),
                 "candidates": [{"text": t, "model": m} for m, t in r["candidates"]],
                 "ranking": r["ranking"]} for r in RANKED_ROWS])
    (out / "ranked.toml").write_text(
        '# Column mapping for ranked.jsonl: verdict import assets/demo/ranked.jsonl --map assets/demo/ranked.toml\n'
        'id = "uid"\n'
        'prompt = "question"\n'
        'responses_list = "candidates"\n'
        'response_text = "text"\n'
        'response_model = "model"\n'
        'ranking = "ranking"\n'
        'ranking_base = 0\n'
        '[[media]]\n'
        'field = "image"\n'
        'kind = "image"\n'
        'role = "input"\n', encoding="utf-8")

    dump_json(out / "planted.json", PLANTED)

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    n = len(RLAIF_ROWS) + len(VLF_ROWS) + len(MIA_ROWS) + len(VIDEO_ROWS) + len(HOUND_ROWS) + len(AUDIO_ROWS) \
        + len(RANKED_ROWS)
    print(f"wrote {out} ({n} samples, {total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
