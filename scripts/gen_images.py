#!/usr/bin/env python3
"""Generate a folder of photo-like JPEGs with planted near duplicates, for the cleaning benchmarks.

    python3 scripts/gen_images.py --count 100000 --out target/bench-data/images-100k --seed 0

Every image is its own picture: a smooth random field (a few blurred colour blobs and gradients at
low resolution, drawn up to full size), a dozen random shapes over it, then fine grain taken from a
shared noise texture at a random offset, so the JPEG has the high-frequency detail that gives a
photograph its size. Sizes are COCO's usual ones (640x480 most often, also 640x427, 480x640,
500x375, 640x360), quality 80-92 (COCO-like: ~60-120 KB a file, about 4.5 GB for 100k).

About --near (default 0.1) of the files are near duplicates of an earlier original: re-encoded at
quality 55-75, resized to 50-85 %, brightened by 10-30 %, or cropped by 3-8 % of each side (a
quarter each). The planted pairs go to OUT/planted.csv (`copy,original,change`). Output depends only
on --count, --seed and --near (and the numpy / Pillow versions). Runs on --workers processes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

SIZES = [((640, 480), 0.5), ((640, 427), 0.2), ((480, 640), 0.15), ((500, 375), 0.08), ((640, 360), 0.07)]
CHANGES = ["reencoded", "resized", "brightened", "cropped"]
TEXTURE_SIDE = 1024

_texture: np.ndarray | None = None


def texture(seed: int) -> np.ndarray:
    """A shared grain texture (signed, per channel), made once per process."""
    global _texture
    if _texture is None:
        rng = np.random.default_rng([seed, 1 << 30])
        fine = rng.normal(0.0, 1.0, (TEXTURE_SIDE, TEXTURE_SIDE, 3)).astype(np.float32)
        # Slightly blurred grain: photographs' noise is not white at the pixel level.
        img = Image.fromarray(np.clip(fine * 40 + 128, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
        _texture = (np.asarray(img).astype(np.int16) - 128)
    return _texture


def picture(seed: int, i: int) -> Image.Image:
    """Image `i`: its own picture, deterministic in (seed, i)."""
    rng = np.random.default_rng([seed, i])
    sizes, weights = zip(*SIZES)
    w, h = sizes[int(rng.choice(len(sizes), p=np.array(weights) / sum(weights)))]
    # A low-resolution random field drawn up to full size: the picture's large-scale layout.
    lw, lh = int(rng.integers(4, 9)), int(rng.integers(3, 7))
    base = rng.normal(0.0, 1.0, (lh, lw, 3)) * rng.uniform(30, 70) + rng.uniform(60, 190, 3)
    gy, gx = np.mgrid[0:lh, 0:lw]
    base += (gy[..., None] / lh) * rng.uniform(-60, 60, 3) + (gx[..., None] / lw) * rng.uniform(-60, 60, 3)
    # Drawn up in two steps (bicubic, then bilinear): smooth, without a costly blur at full size.
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).resize((w // 16, h // 16), Image.BICUBIC)
    mid = rng.normal(0.0, rng.uniform(6, 18), (h // 16, w // 16, 3))
    img = Image.fromarray(np.clip(np.asarray(img) + mid, 0, 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)
    # Objects: ellipses, boxes and polygons, drawn at half size and drawn up (soft edges).
    hw, hh = w // 2, h // 2
    layer = Image.new("RGBA", (hw, hh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(int(rng.integers(6, 16))):
        x0, y0 = rng.uniform(-0.1, 1.0) * hw, rng.uniform(-0.1, 1.0) * hh
        sw, sh = rng.uniform(0.05, 0.45) * hw, rng.uniform(0.05, 0.45) * hh
        colour = tuple(int(c) for c in rng.integers(0, 256, 3)) + (int(rng.integers(120, 256)),)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse([x0, y0, x0 + sw, y0 + sh], fill=colour)
        elif kind == 1:
            draw.rectangle([x0, y0, x0 + sw, y0 + sh], fill=colour)
        else:
            pts = [(x0 + rng.uniform(0, sw), y0 + rng.uniform(0, sh)) for _ in range(int(rng.integers(3, 7)))]
            draw.polygon(pts, fill=colour)
    layer = layer.resize((w, h), Image.BILINEAR)
    img = Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
    # Grain from the shared texture at a random offset.
    tex = texture(seed)
    oy, ox = int(rng.integers(0, TEXTURE_SIDE - h + 1)), int(rng.integers(0, TEXTURE_SIDE - w + 1))
    grain = (tex[oy : oy + h, ox : ox + w] * int(rng.integers(3, 6))) >> 4
    arr = np.asarray(img).astype(np.int16) + grain
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def quality(seed: int, i: int) -> int:
    return int(np.random.default_rng([seed, i, 7]).integers(80, 93))


def changed(img: Image.Image, change: str, rng: np.random.Generator) -> tuple[Image.Image, int]:
    """A near copy of `img` and the quality to encode it at."""
    w, h = img.size
    q = int(rng.integers(80, 93))
    if change == "reencoded":
        return img, int(rng.integers(55, 76))
    if change == "resized":
        f = rng.uniform(0.5, 0.85)
        return img.resize((max(1, round(w * f)), max(1, round(h * f))), Image.BICUBIC), q
    if change == "brightened":
        return ImageEnhance.Brightness(img).enhance(rng.uniform(1.1, 1.3)), q
    f = rng.uniform(0.03, 0.08)
    dx, dy = round(w * f), round(h * f)
    return img.crop((dx, dy, w - dx, h - dy)), q


def plan(count: int, seed: int, near: float) -> list[tuple[int, int, str] | None]:
    """For each file: None (an original) or (original index, change)."""
    rng = np.random.default_rng([seed, 1 << 31])
    out: list[tuple[int, int, str] | None] = []
    for i in range(count):
        if i >= 10 and rng.random() < near:
            src = int(rng.integers(0, i))
            while out[src] is not None:  # copies are made of originals
                src = int(rng.integers(0, i))
            out.append((src, i, CHANGES[int(rng.integers(0, len(CHANGES)))]))
        else:
            out.append(None)
    return out


def name(i: int) -> str:
    return f"img_{i:07d}.jpg"


def make(job: tuple[int, int, str, tuple[int, int, str] | None]) -> int:
    seed, i, out_dir, planted = job
    path = os.path.join(out_dir, name(i))
    if os.path.exists(path):
        return 0
    if planted is None:
        img, q = picture(seed, i), quality(seed, i)
    else:
        src, _, change = planted
        img, q = changed(picture(seed, src), change, np.random.default_rng([seed, i, 11]))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=q)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return buf.tell()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--near", type=float, default=0.1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    planned = plan(args.count, args.seed, args.near)
    with open(os.path.join(args.out, "planted.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["copy", "original", "change"])
        for p in planned:
            if p is not None:
                wr.writerow([name(p[1]), name(p[0]), p[2]])
    jobs = [(args.seed, i, args.out, planned[i]) for i in range(args.count)]
    total = 0
    with Pool(args.workers) as pool:
        for k, size in enumerate(pool.imap(make, jobs, chunksize=64)):
            total += size
            if (k + 1) % 10000 == 0:
                print(f"{k + 1} images, {total / 1e6:.0f} MB written now", file=sys.stderr, flush=True)
    print(f"{args.count} images in {args.out} ({sum(p is not None for p in planned)} planted near copies)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
