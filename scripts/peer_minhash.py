#!/usr/bin/env python3
"""The MinHash LSH peers of the text benchmark: datasketch and rensa, as their users run them.

    python scripts/peer_minhash.py FILE.jsonl --lib datasketch|rensa [--threshold 0.8]
                                   [--groups OUT.tsv] [--signatures N OUT.tsv]

Each line of FILE is `{"text": ...}` (or a JSON string). Both peers read the file and shingle in
Python as Verdict does: Unicode NFKC, lower case, words = runs of letters and digits (each
Chinese, Japanese or Korean character a word of its own), a text's set of words. With
--word-chars (`clean_bench word-chars`), "letters and digits" are Rust's: Python's `\\w` leaves
out combining vowel signs (Devanagari, ...) that Rust counts as alphabetic. Empty texts take
no part. Then:

- datasketch 2.0: one `MinHash(num_perm=128, scheme="affine32", permutations=(a, b),
  hashfunc=xxh3_64(token) & 0xffffffff)` per line, `update_batch` with the word set; Verdict's
  permutations (splitmix64 from seed 1: a = low 32 bits | 1, b = high 32 bits), so the signatures
  are bit for bit Verdict's (datasketch applies the same fmix32 pre-mix to the hashfunc's value:
  --signatures writes them to check). `MinHashLSH(threshold, num_perm=128)` (which picks 9 bands of
  13 rows for 0.8, as Verdict does), an insertion session, then `query` per line.
- rensa 0.5: its full-set R-MinHash (`RMinHash.from_token_sets`, not its sampling "rho" mode)
  with permutations of its own (seed 1), `RMinHashLSH(threshold, num_perm, num_bands)`
  (`insert_many`, `query_all`). rensa wants num_perm divisible by num_bands, so it gets
  --bands x --rows = 9 x 13 = 117 permutations: the bands datasketch and Verdict use for 0.8 (they
  compute 128 and band the first 117).

Every candidate pair is then checked by the exact Jaccard similarity of the two word sets (as
Verdict checks its candidates) and lines are grouped by union-find. Prints one JSON object (times in
seconds, each phase apart); --groups writes `line<TAB>first line of its group` (1-based).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata

ASCII_WORD = re.compile(r"[a-z0-9]+")
WORD = re.compile(r"[^\W_]+")
# The characters that are words of their own (src/query/text.rs, is_split_char).
SPLIT_RANGES = [
    (0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3031, 0x3035), (0x3038, 0x303C),
    (0x3041, 0x30FF), (0x3100, 0x312F), (0x3130, 0x318F), (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0xFFA0, 0xFFDC),
    (0x1B000, 0x1B16F), (0x20000, 0x3FFFF),
]
SPLIT = re.compile("([" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in SPLIT_RANGES) + "])")


FULL = None  # set by use_word_chars: Verdict's own classes


def use_word_chars(path: str) -> None:
    """Words exactly as Verdict takes them: `clean_bench word-chars` lists Rust's alphanumeric
    characters (Unicode Alphabetic and Numeric: it keeps e.g. Devanagari vowel signs inside words,
    where Python's `\\w` splits) and the characters that are words of their own."""
    global FULL
    with open(path) as f:
        classes = json.load(f)

    def cls(ranges):
        return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)

    FULL = re.compile(f"[{cls(classes['split'])}]|[{cls(classes['word'])}]+")


def words(text: str) -> set[str]:
    # Rust lowercases character by character (no final-sigma rule): so does this.
    norm = unicodedata.normalize("NFKC", text).replace("\u03a3", "\u03c3").lower()
    if norm.isascii():
        return set(ASCII_WORD.findall(norm))
    if FULL is not None:
        return set(FULL.findall(norm))
    out = set()
    for w in WORD.findall(norm):
        if w.isascii():
            out.add(w)
        else:
            out.update(p for p in SPLIT.split(w) if p)
    return out


def permutations(n: int, seed: int) -> tuple[list[int], list[int]]:
    """Verdict's permutations (src/clean/minhash.rs, MinHasher::new): splitmix64 from `seed`."""
    mask = (1 << 64) - 1
    state, a, b = seed, [], []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        a.append((z & 0xFFFFFFFF) | 1)
        b.append(z >> 32)
    return a, b


def read(path: str) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            v = json.loads(line)
            texts.append(v if isinstance(v, str) else v["text"])
    return texts


def datasketch_candidates(sets, threshold, perms, sig_out):
    import numpy as np
    import xxhash
    from datasketch import MinHash, MinHashLSH

    a, b = permutations(perms, 1)
    shared = np.array([a, b], dtype=np.uint32)
    xxh = xxhash.xxh3_64_intdigest

    def hashfunc(token: bytes) -> int:
        return xxh(token) & 0xFFFFFFFF

    t = time.perf_counter()
    sketches = {}
    for i, s in enumerate(sets):
        if s:
            m = MinHash(num_perm=perms, scheme="affine32", permutations=shared, hashfunc=hashfunc)
            m.update_batch([w.encode("utf-8") for w in s])
            sketches[i] = m
    sign_s = time.perf_counter() - t
    if sig_out:
        count, path = sig_out
        with open(path, "w") as f:
            for i in range(min(count, len(sets))):
                if i in sketches:
                    f.write(f"{i + 1}\t{','.join(str(int(v)) for v in sketches[i].hashvalues)}\n")
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=perms)
    with lsh.insertion_session() as session:
        for i, m in sketches.items():
            session.insert(i, m)
    pairs = set()
    for i, m in sketches.items():
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs, sign_s, time.perf_counter() - t, (lsh.b, lsh.r)


def rensa_candidates(sets, threshold, bands, rows):
    from rensa import RMinHash, RMinHashLSH

    keys = [i for i, s in enumerate(sets) if s]
    t = time.perf_counter()
    perms = bands * rows
    sketches = RMinHash.from_token_sets([list(sets[i]) for i in keys], num_perm=perms, seed=1)
    sign_s = time.perf_counter() - t
    t = time.perf_counter()
    # rensa needs num_perm divisible by num_bands: 117 permutations make its 9 bands 13 rows each,
    # the bands datasketch and Verdict use (they use the first 117 of their 128 permutations).
    lsh = RMinHashLSH(threshold=threshold, num_perm=perms, num_bands=bands)
    lsh.insert_many(sketches)
    found = lsh.query_all(sketches)
    pairs = set()
    for k, hits in enumerate(found):
        for j in hits:
            if j != k:
                pairs.add((keys[min(k, j)], keys[max(k, j)]))
    return pairs, sign_s, time.perf_counter() - t, (lsh.get_num_bands(), lsh.get_num_perm() // lsh.get_num_bands())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--lib", choices=["datasketch", "rensa"], required=True)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--perms", type=int, default=128)
    ap.add_argument("--bands", type=int, default=9, help="rensa's bands (datasketch's choice for 0.8 and 128)")
    ap.add_argument("--rows", type=int, default=13, help="rensa's rows per band (num_perm = bands * rows)")
    ap.add_argument("--word-chars", help="`clean_bench word-chars` output: Verdict's word characters")
    ap.add_argument("--groups")
    ap.add_argument("--signatures", nargs=2, metavar=("N", "OUT"))
    args = ap.parse_args()
    if args.word_chars:
        use_word_chars(args.word_chars)
    # The library is imported before the clock starts (datasketch imports scipy: ~0.5-1 s).
    start = time.perf_counter()
    if args.lib == "datasketch":
        import datasketch  # noqa: F401
        import xxhash  # noqa: F401
    else:
        import rensa  # noqa: F401
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    sets = [words(t) for t in read(args.file)]
    read_s = time.perf_counter() - start
    if args.lib == "datasketch":
        sig_out = (int(args.signatures[0]), args.signatures[1]) if args.signatures else None
        candidates, sign_s, lsh_s, bands = datasketch_candidates(sets, args.threshold, args.perms, sig_out)
    else:
        candidates, sign_s, lsh_s, bands = rensa_candidates(sets, args.threshold, args.bands, args.rows)
    t = time.perf_counter()
    parent = list(range(len(sets)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    near = 0
    for i, j in candidates:
        a, b = sets[i], sets[j]
        both = len(a & b)
        if both / (len(a) + len(b) - both) >= args.threshold:
            near += 1
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(sets):
        if s:
            groups.setdefault(find(i), []).append(i)
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    verify_s = time.perf_counter() - t
    total_s = time.perf_counter() - start
    if args.groups:
        with open(args.groups, "w") as f:
            for members in sorted(groups.values()):
                for m in members:
                    f.write(f"{m + 1}\t{members[0] + 1}\n")
    print(json.dumps({
        "what": args.lib, "lines": len(sets), "empty": sum(1 for s in sets if not s), "bands": bands[0],
        "rows": bands[1], "candidates": len(candidates), "near_pairs": near, "groups": len(groups),
        "in_groups": sum(len(v) for v in groups.values()), "read_s": read_s, "sign_s": sign_s, "lsh_s": lsh_s,
        "verify_s": verify_s, "total_s": total_s, "import_s": import_s,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
