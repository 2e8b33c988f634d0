#!/usr/bin/env python3
"""Generate responses with planted near duplicates, for the text duplicate benchmarks.

    python3 scripts/gen_responses.py --count 100000 --seed 0 --out target/bench-data/resp-100k
    python3 scripts/gen_responses.py --count 20000 --demo /path/dpo_en_demo.json --out target/bench-data/demo-20k

Writes OUT.texts.jsonl (one `{"text": ...}` a line: what the bench binary and the Python peers read)
and OUT.pairs.jsonl (the same responses as TRL-style rows `{"id", "prompt", "chosen", "rejected"}`,
two responses a row, in order: what `verdict import` reads for `verdict dedup --text responses`).

Synthetic (the default): responses of 5-14 sentences (~60-200 words) drawn from the Zipf-distributed
vocabulary of scripts/gen_synthetic.py; about 4 % are exact copies of an earlier response (some
with case and spacing changed), about 8 % near copies (3-20 % of the words replaced, a sentence
dropped or one added), the rest new. Prompts are new for every row.

--demo FILE: responses drawn at random, with repeats, from the chosen and rejected answers of an
LLaMA-Factory DPO file (e.g. its dpo_en_demo.json: 300 rows, 600 answers), as in issue 16's note.
Output depends only on the arguments (and the numpy version).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_synthetic import TextPool, build_vocab, text_rows  # noqa: E402


def synthetic(count: int, seed: int) -> tuple[list[str], list[str]]:
    """`count` responses and count/2 prompts."""
    rng = np.random.default_rng(seed)
    pool = TextPool(rng)
    vocab, p = build_vocab(np.random.default_rng([seed, 9]))
    rows = [json.loads(line) for line in text_rows(0, (count + 1) // 2, pool, np.random.default_rng([seed, 1]))]
    fresh = [t for r in rows for t in (r["chosen"], r["rejected"])][:count]
    prompts = [r["prompt"] for r in rows]
    prng = np.random.default_rng([seed, 2])
    out: list[str] = []
    for i, text in enumerate(fresh):
        roll = prng.random()
        if i < 10 or roll >= 0.12:
            out.append(text)
            continue
        src = out[int(prng.integers(0, i))]
        if roll < 0.04:
            # An exact copy; now and then with its case or spacing changed (equal once normalized).
            k = int(prng.integers(0, 3))
            out.append(src if k == 0 else src.upper() if k == 1 else "  " + src.replace(" ", "  ") + "\n")
            continue
        words = src.split(" ")
        share = prng.uniform(0.03, 0.2)
        for j in np.flatnonzero(prng.random(len(words)) < share):
            words[j] = str(vocab[int(prng.choice(len(vocab), p=p))])
        edited = " ".join(words)
        what = int(prng.integers(0, 3))
        sentences = edited.split(". ")
        if what == 1 and len(sentences) > 3:
            del sentences[int(prng.integers(0, len(sentences)))]
            edited = ". ".join(sentences)
        elif what == 2:
            edited += " " + fresh[int(prng.integers(0, len(fresh)))].split(". ")[0] + "."
        out.append(edited)
    return out, prompts


def demo(count: int, seed: int, path: str) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    answers: list[str] = []
    prompts: list[str] = []
    for r in rows:
        for side in ("chosen", "rejected"):
            v = r[side]
            answers.append(v["value"] if isinstance(v, dict) else v)
        conv = r.get("conversations") or r.get("messages") or []
        prompts.append(conv[-1]["value"] if conv and "value" in conv[-1] else json.dumps(conv))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(answers), count)
    return [answers[int(k)] for k in picks], [prompts[int(k) // 2] for k in picks[::2]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True, help="path prefix: OUT.texts.jsonl and OUT.pairs.jsonl are written")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--demo", help="draw from this LLaMA-Factory DPO JSON file instead")
    args = ap.parse_args()
    texts, prompts = demo(args.count, args.seed, args.demo) if args.demo else synthetic(args.count, args.seed)
    with open(args.out + ".texts.jsonl", "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    with open(args.out + ".pairs.jsonl", "w", encoding="utf-8") as f:
        for r in range(0, len(texts) - 1, 2):
            row = {"id": f"r{r // 2:08d}", "prompt": prompts[r // 2], "chosen": texts[r], "rejected": texts[r + 1]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(texts)} responses in {args.out}.texts.jsonl, {len(texts) // 2} rows in {args.out}.pairs.jsonl",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
