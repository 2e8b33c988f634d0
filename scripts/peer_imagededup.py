#!/usr/bin/env python3
"""The imagededup peer of the image benchmark: PHash as its users run it, on a folder of images.

    python scripts/peer_imagededup.py DIR [--radius 10] [--search imagededup|exact|none]
                                          [--hashes OUT.tsv] [--pairs OUT.tsv]

1. `PHash().encode_images(image_dir=DIR)`: its default multiprocessing (one process per core);
2. `PHash().find_duplicates(encoding_map=..., max_distance_threshold=R, scores=True)`: its default
   search (`brute_force_cython`, one process per core) with --search imagededup (the default).
   That search compares every query with every hash in Python-driven loops (quadratic: hours at
   100k images on 2 cores), so for large folders --search exact computes the same lists
   (every other image within R bits, R included, as its `dist <= maxdist` does) with numpy
   instead, to compare groups; its time is not imagededup's and is reported apart. --search none
   stops after the encoding.
--encodings FILE takes the encodings an earlier run wrote with --hashes (to time find_duplicates
alone). Prints one JSON object (times in seconds); --hashes writes `name<TAB>hex`, --pairs `a<TAB>b<TAB>bits`
(a < b).

imagededup 0.3.3 imports its CNN module (torch, torchvision) from `imagededup.methods` and
`imagededup.utils`, though PHash never uses it: a stub module stands in for
`imagededup.utils.models` and `imagededup.methods.hashing` is loaded by path, so torch need not be
installed. The hashing code that runs is imagededup's own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import types


def load_phash():
    import imagededup

    stub = types.ModuleType("imagededup.utils.models")
    stub.CustomModel = object
    sys.modules["imagededup.utils.models"] = stub
    methods = types.ModuleType("imagededup.methods")
    methods.__path__ = [os.path.join(os.path.dirname(imagededup.__file__), "methods")]
    sys.modules["imagededup.methods"] = methods
    spec = importlib.util.spec_from_file_location("imagededup.methods.hashing", methods.__path__[0] + "/hashing.py")
    hashing = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hashing
    spec.loader.exec_module(hashing)
    return hashing.PHash


def exact_pairs(encodings: dict[str, str], radius: int) -> list[tuple[str, str, int]]:
    """Every pair within `radius` bits, by numpy over blocks of rows."""
    import numpy as np

    names = sorted(encodings)
    hashes = np.array([int(encodings[n], 16) for n in names], dtype=np.uint64)
    out = []
    block = 512
    for start in range(0, len(names), block):
        rows = hashes[start : start + block]
        dist = np.bitwise_count(rows[:, None] ^ hashes[None, :])
        for i, j in zip(*np.nonzero(dist <= radius)):
            a, b = start + int(i), int(j)
            if a < b:
                out.append((names[a], names[b], int(dist[i, j])))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--radius", type=int, default=10)
    ap.add_argument("--search", choices=["imagededup", "exact", "none"], default="imagededup")
    ap.add_argument("--encodings", help="skip the encoding: read `name<TAB>hex` (an earlier --hashes) instead")
    ap.add_argument("--hashes")
    ap.add_argument("--pairs")
    args = ap.parse_args()
    import logging

    logging.disable(logging.INFO)
    import warnings

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    phash_class = load_phash()
    phasher = phash_class(verbose=False)
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    if args.encodings:
        with open(args.encodings) as f:
            encodings = dict(line.rstrip("\n").split("\t") for line in f if line.strip())
    else:
        encodings = phasher.encode_images(image_dir=args.dir)
    encode_s = time.perf_counter() - start
    t = time.perf_counter()
    pairs: list[tuple[str, str, int]] = []
    if args.search == "imagededup":
        found = phasher.find_duplicates(encoding_map=encodings, max_distance_threshold=args.radius, scores=True)
        seen = set()
        for a, dups in found.items():
            for b, d in dups:
                key = (min(a, b), max(a, b))
                if key not in seen:
                    seen.add(key)
                    pairs.append((key[0], key[1], int(d)))
    elif args.search == "exact":
        pairs = exact_pairs(encodings, args.radius)
    search_s = time.perf_counter() - t
    total_s = time.perf_counter() - start
    if args.hashes:
        with open(args.hashes, "w") as f:
            for name in sorted(encodings):
                f.write(f"{name}\t{encodings[name]}\n")
    if args.pairs:
        with open(args.pairs, "w") as f:
            for a, b, d in sorted(pairs):
                f.write(f"{a}\t{b}\t{d}\n")
    print(json.dumps({
        "what": "imagededup", "files": len(encodings), "radius": args.radius, "search": args.search,
        "import_s": import_s, "encode_s": encode_s, "search_s": search_s, "total_s": total_s, "pairs": len(pairs),
        "workers": os.cpu_count(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
