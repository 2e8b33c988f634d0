#!/usr/bin/env python3
"""Generate large synthetic preference datasets of realistic shape, for benchmarks.

    python3 scripts/gen_synthetic.py --kind text-jsonl    --rows 1000000 --out big.jsonl
    python3 scripts/gen_synthetic.py --kind rlaif-parquet --rows 2000    --out rlaif.parquet

text-jsonl     TRL / generic text pairs, one JSON object a line: {"id", "prompt", "chosen", "rejected"}.
               Prompts are ~20-60 words, responses ~60-200 words, drawn from a Zipf-distributed vocabulary
               of common English words plus a long tail of made-up words (so the full-text index sees a
               realistic number of distinct tokens); some responses have paragraph breaks, a few strings
               carry quotes and non-ASCII characters. Streams to the file in batches: memory stays flat.
rlaif-parquet  RLAIF-V layout (ds_name, image = HF Image struct {bytes, path} with an embedded JPEG,
               question, chosen, rejected, origin_dataset, origin_split (JSON string), idx (string),
               image_path), row groups of --row-group rows, snappy. Every row gets its own JPEG
               (448-1024 px a side, mostly 30-150 KB): a crop of one of a pool of textured base images,
               tinted and encoded at a varying quality.

Output depends only on --kind, --rows and --seed (and the numpy / Pillow / pyarrow versions).
Needs numpy (both kinds), pillow and pyarrow (rlaif-parquet).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time

import numpy as np

# ~500 common English words, most frequent first (roughly): the head of the Zipf distribution.
COMMON = """
the of and to a in is it that for you was with on as have be at this are by not but from or
they his her she he we an which one all would there their what so up out if about who get can
will when make like time no just him know take people into year your good some could them see
other than then now look only come its over think also back after use two how our work first
well way even new want because any these give day most us image picture shows shown left right
top bottom center background foreground color red blue green yellow white black small large
large person man woman child dog cat car tree building street table window door sky water road
answer question describe detail details object objects appears seems likely visible several many
each both between behind front near next above below under around while during before since
however therefore although though whether response model assistant user helpful accurate correct
incorrect because reason example number count three four five six seven eight nine ten first
second third last final main important possible different same similar certain clear simple
following steps step explain explanation information data result results answer answers provide
provides provided based context given include includes including such must should may might
often usually sometimes always never also another every few more less much little very quite
really actually probably perhaps rather almost nearly especially particular general specific
scene photo photograph camera light dark bright shadow wooden metal glass plastic stone grass
field river mountain beach city house room kitchen bedroom office shop market park garden
standing sitting walking running holding wearing looking playing eating drinking reading writing
talking smiling carrying riding driving parked placed located positioned arranged filled covered
surrounded shirt hat jacket dress shoes bag phone computer screen book paper sign text word
letter board wall floor ceiling chair bench bed shelf box bottle cup plate bowl food fruit apple
banana pizza cake bread vegetable meat horse bird cow sheep elephant giraffe zebra bear boat
plane train bus truck bicycle motorcycle clock lamp flower plant leaf snow rain sun cloud day
night morning evening summer winter weather people group crowd team player game ball field
sport match training data set sample samples label labels chosen rejected preference pair
pairs rating ratings score scores quality review reviewer annotator annotation guideline
guidelines consider considering note notes important describe described describing provide
solution problem problems method approach system process value values function code write
written list item items table chart graph line bar axis percent total average increase decrease
high low higher lower larger smaller longer shorter older younger better worse best worst
""".split()

SYLLABLES = ("ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro "
             "ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu bar ber bin bor dan del dor "
             "fen fir gal gor han hel kor lan len lin mar mer mor nar nel nor par per por ran ren rin sar "
             "sel sen tar ter tor van ver vin wal wen win").split()

ODD = ["caf\u00e9", "na\u00efve", "r\u00e9sum\u00e9", "\u2014", "\u201cquoted\u201d", "\"quoted\"", "\u00b0C",
       "\u00bd", "Z\u00fcrich", "S\u00e3o"]


def build_vocab(rng: np.random.Generator, tail: int = 30000):
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    syl = np.array(SYLLABLES, dtype=object)
    while len(words) < len(COMMON) + tail:
        k = int(rng.integers(2, 5))
        w = "".join(syl[rng.integers(0, len(syl), k)])
        if w not in seen:
            seen.add(w)
            words.append(w)
    ranks = np.arange(len(words), dtype=np.float64)
    p = 1.0 / np.power(ranks + 2.7, 1.2)  # ~77% of tokens from the common-word head
    return np.array(words, dtype=object), p / p.sum()


class TextPool:
    """A pool of sentences (pre-escaped for JSON) that rows are assembled from.

    Rows pick 2-4 sentences for a prompt and 4-14 for a response out of a pool of tens of thousands, so no
    two rows share a string in practice, while assembling a row costs only a few list slices and joins.
    """

    def __init__(self, rng: np.random.Generator, n: int = 40000):
        vocab, p = build_vocab(rng)
        lens = rng.integers(9, 18, n)
        flat = rng.choice(len(vocab), size=int(lens.sum()), p=p)
        words = vocab[flat]
        odd = rng.random(n) < 0.02
        bare, bare_q = [], []
        pos = 0
        for i in range(n):
            ws = list(words[pos : pos + lens[i]])
            pos += lens[i]
            if odd[i]:
                ws[int(rng.integers(0, len(ws)))] = ODD[int(rng.integers(0, len(ODD)))]
            if len(ws) > 9 and i % 3 == 0:
                ws[len(ws) // 2] += ","
            s = " ".join(ws)
            s = s[0].upper() + s[1:]
            # Pre-escape once; rows are then plain concatenations of escaped pieces.
            esc = json.dumps(s, ensure_ascii=False)[1:-1]
            bare.append(esc + ".")
            bare_q.append(esc + "?")
        self.n = n
        # [sentence + space] [sentence + paragraph break] [sentence] [sentence ending in '?']
        self.pieces = [b + " " for b in bare] + [b + "\\n\\n" for b in bare] + bare + bare_q


def text_rows(start: int, count: int, pool: TextPool, rng: np.random.Generator):
    """Return JSON lines for rows [start, start + count)."""
    n = pool.n
    kp = rng.integers(2, 5, count)        # prompt sentences (~13 words each)
    kc = rng.integers(5, 15, count)       # chosen sentences
    kr = rng.integers(5, 15, count)       # rejected sentences
    lens = np.stack([kp, kc, kr], axis=1).reshape(-1)
    total = int(lens.sum())
    # One code per piece, indexing pool.pieces = [s + " "] * n, [s + "\\n\\n"] * n, [s] * n, [s?] * n.
    codes = rng.integers(0, n, total)
    ends = np.cumsum(lens)
    section = np.repeat(np.arange(3 * count) % 3, lens)
    codes += (rng.random(total) < 0.07) * (section > 0) * n    # paragraph breaks inside responses only
    last = ends - 1
    codes[last] = codes[last] % n + np.where(np.arange(3 * count) % 3 == 0, 3 * n, 2 * n)
    pieces = pool.pieces
    got = [pieces[c] for c in codes.tolist()]
    bounds = [0] + ends.tolist()
    out = []
    for r in range(count):
        a, b, c, d = bounds[3 * r : 3 * r + 4]
        out.append(f'{{"id": "t{start + r:08d}", "prompt": "{"".join(got[a:b])}", '
                   f'"chosen": "{"".join(got[b:c])}", "rejected": "{"".join(got[c:d])}"}}\n')
    return out


def gen_text_jsonl(rows: int, out: str, seed: int, batch: int = 20000) -> None:
    rng = np.random.default_rng(seed)
    pool = TextPool(rng)
    with open(out, "w", encoding="utf-8", buffering=1 << 22) as f:
        done = 0
        while done < rows:
            k = min(batch, rows - done)
            brng = np.random.default_rng([seed, 1, done])  # per-batch stream: output independent of batch count
            f.write("".join(text_rows(done, k, pool, brng)))
            done += k


# ---------------------------------------------------------------------------------------------
# RLAIF-like Parquet

_BASES = None


def _bases(seed: int, k: int = 24):
    """A pool of textured RGB base images, 1100x1100: smooth color fields + shapes + grain."""
    from PIL import Image, ImageDraw

    global _BASES
    if _BASES is not None:
        return _BASES
    S = 1100
    bases = []
    for i in range(k):
        rng = np.random.default_rng([seed, 2, i])
        # low-frequency color field
        g = rng.integers(0, 256, (int(rng.integers(3, 9)), int(rng.integers(3, 9)), 3), dtype=np.uint8)
        img = Image.fromarray(g, "RGB").resize((S, S), Image.BICUBIC)
        d = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(6, 20))):
            x0, y0 = rng.integers(0, S, 2)
            w, h = rng.integers(40, 400, 2)
            col = tuple(int(c) for c in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                d.ellipse([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=col)
            else:
                d.rectangle([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=col)
        arr = np.asarray(img).astype(np.int16)
        # mid-frequency texture + fine grain, so JPEG sizes land in the tens of KB like photos
        tex = rng.normal(0, 1, (S // 8, S // 8, 1)).astype(np.float32)
        tex = np.asarray(Image.fromarray(((tex[:, :, 0] * 18) + 128).clip(0, 255).astype(np.uint8))
                         .resize((S, S), Image.BILINEAR)).astype(np.int16)[:, :, None] - 128
        grain = rng.normal(0, float(rng.uniform(1.5, 5.0)), (S, S, 1)).astype(np.int16)
        bases.append(np.clip(arr + tex + grain, 0, 255).astype(np.uint8))
    _BASES = bases
    return bases


def _image_job(args):
    from PIL import Image

    seed, row = args
    rng = np.random.default_rng([seed, 3, row])
    bases = _bases(seed)
    base = bases[int(rng.integers(0, len(bases)))]
    w = int(rng.integers(448, 1025))
    h = int(rng.integers(448, 1025))
    S = base.shape[0]
    x = int(rng.integers(0, S - w + 1))
    y = int(rng.integers(0, S - h + 1))
    crop = base[y : y + h, x : x + w]
    tint = rng.integers(-30, 31, 3).astype(np.int16)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    arr = np.clip(crop.astype(np.int16) + tint, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, "JPEG", quality=int(rng.integers(70, 93)))
    return buf.getvalue()


ORIGINS = ["VQAv2", "OKVQA", "COCO", "TextVQA", "GQA", "ScienceQA", "ChartQA", "DocVQA"]
GEN_MODELS = ["synthetic-vlm-7b", "synthetic-vlm-13b", "synthetic-vlm-34b"]
TYPES = ["question_answering", "detailed_description", "reasoning"]


def gen_rlaif_parquet(rows: int, out: str, seed: int, row_group: int, workers: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    STR = {"dtype": "string", "_type": "Value"}
    schema = pa.schema(
        [("ds_name", pa.string()), ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
         ("question", pa.string()), ("chosen", pa.string()), ("rejected", pa.string()),
         ("origin_dataset", pa.string()), ("origin_split", pa.string()), ("idx", pa.string()),
         ("image_path", pa.string())],
        metadata={b"huggingface": json.dumps({"info": {"features": {
            "ds_name": STR, "image": {"_type": "Image"}, "question": STR, "chosen": STR, "rejected": STR,
            "origin_dataset": STR, "origin_split": STR, "idx": STR, "image_path": STR}}}).encode()})
    rng = np.random.default_rng(seed)
    pool = TextPool(rng, n=20000)
    _bases(seed)  # build before forking so workers inherit the pool

    pmap = map
    mp_pool = None
    if workers > 1:
        import multiprocessing as mp

        mp_pool = mp.get_context("fork").Pool(workers)
        pmap = lambda f, it: mp_pool.imap(f, it, chunksize=8)  # noqa: E731  (ordered)
    try:
        with pq.ParquetWriter(out, schema, compression="snappy") as w:
            done = 0
            while done < rows:
                k = min(row_group, rows - done)
                brng = np.random.default_rng([seed, 4, done])
                texts = [json.loads(line) for line in text_rows(done, k, pool, brng)]
                imgs = list(pmap(_image_job, [(seed, done + i) for i in range(k)]))
                meta = brng.integers(0, 1 << 30, (k, 3))
                cols = {
                    "ds_name": ["RLAIF-V"] * k,
                    "image": [{"bytes": b, "path": f"{done + i:08d}.jpg"} for i, b in enumerate(imgs)],
                    # questions are short: keep the prompt's last (question) sentence and one before it
                    "question": [" ".join(t["prompt"].split(". ")[-2:]) for t in texts],
                    "chosen": [t["chosen"] for t in texts],
                    "rejected": [t["rejected"] for t in texts],
                    "origin_dataset": [ORIGINS[m[0] % len(ORIGINS)] for m in meta],
                    "origin_split": [json.dumps({"model": GEN_MODELS[m[1] % 3], "type": TYPES[m[2] % 3]})
                                     for m in meta],
                    "idx": [str(done + i) for i in range(k)],
                    "image_path": [f"images/{done + i:08d}.jpg" for i in range(k)],
                }
                w.write_table(pa.table(cols, schema=schema), row_group_size=k)
                done += k
    finally:
        if mp_pool is not None:
            mp_pool.close()
            mp_pool.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", required=True, choices=["text-jsonl", "rlaif-parquet"])
    ap.add_argument("--rows", required=True, type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--row-group", type=int, default=256, help="rlaif-parquet: rows per row group")
    ap.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                    help="rlaif-parquet: processes encoding JPEGs (output does not depend on it)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    tmp = a.out + ".partial"
    if a.kind == "text-jsonl":
        gen_text_jsonl(a.rows, tmp, a.seed)
    else:
        gen_rlaif_parquet(a.rows, tmp, a.seed, a.row_group, a.workers)
    os.replace(tmp, a.out)  # a half-written file never sits under the final name
    dt = time.perf_counter() - t0
    size = os.path.getsize(a.out)
    print(json.dumps({"kind": a.kind, "rows": a.rows, "out": a.out, "bytes": size,
                      "seconds": round(dt, 2)}), file=sys.stderr)


if __name__ == "__main__":
    main()
