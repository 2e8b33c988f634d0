#!/usr/bin/env python3
"""Compare what Verdict's cleaning benchmarks found with what a peer found (scripts/bench_clean.sh).

    python3 scripts/bench_compare.py images OUR_HASHES PEER_HASHES OUR_PAIRS PEER_PAIRS
    python3 scripts/bench_compare.py text OUR_GROUPS PEER_GROUPS [OUR_SIGNATURES PEER_SIGNATURES]

images: hashes are `name<TAB>hex` (`-` where it failed), pairs `a<TAB>b<TAB>bits`. Reports how many
images' hashes differ and by how many bits, the pairs found by one side only (with both sides'
distances), and the groups (connected components of the pairs): how many, and how many are not
the same set of images on both sides.
text: groups are `line<TAB>first line of its group`; signatures `line<TAB>v1,v2,...`. Reports the
groups each side found, how many are identical, the lines grouped by one side only, the line pairs
in a common group on one side only, and how many signatures are bit for bit equal.
Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from collections import Counter


def components(pairs: set[tuple[str, str]]) -> list[frozenset[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return [frozenset(g) for g in groups.values()]


def read_tsv(path: str) -> list[list[str]]:
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def images(our_hashes: str, peer_hashes: str, our_pairs: str, peer_pairs: str) -> dict:
    ours = {r[0]: r[1] for r in read_tsv(our_hashes)}
    theirs = {r[0]: r[1] for r in read_tsv(peer_hashes)}
    both = sorted(set(ours) & set(theirs))
    bits = Counter()
    for n in both:
        if ours[n] != "-" and theirs[n] != "-":
            bits[bin(int(ours[n], 16) ^ int(theirs[n], 16)).count("1")] += 1
    op = {(r[0], r[1]): int(r[2]) for r in read_tsv(our_pairs)}
    tp = {(r[0], r[1]): int(r[2]) for r in read_tsv(peer_pairs)}

    def dist(a: str, b: str, table: dict[str, str]) -> int | None:
        if table.get(a, "-") == "-" or table.get(b, "-") == "-":
            return None
        return bin(int(table[a], 16) ^ int(table[b], 16)).count("1")

    only_ours = sorted(set(op) - set(tp))
    only_theirs = sorted(set(tp) - set(op))
    og, tg = set(components(set(op))), set(components(set(tp)))
    return {
        "images_ours": len(ours), "images_peer": len(theirs),
        "failed_ours": sum(1 for v in ours.values() if v == "-"), "failed_peer": sum(1 for v in theirs.values() if v == "-"),
        "only_in_one": len(set(ours) ^ set(theirs)),
        "hashes_equal": bits.get(0, 0), "hashes_differ": sum(v for k, v in bits.items() if k > 0),
        "hash_bits_differ": {str(k): v for k, v in sorted(bits.items()) if k > 0},
        "pairs_ours": len(op), "pairs_peer": len(tp), "pairs_same": len(set(op) & set(tp)),
        "pairs_only_ours": [[a, b, op[(a, b)], dist(a, b, theirs)] for a, b in only_ours[:20]],
        "pairs_only_peer": [[a, b, tp[(a, b)], dist(a, b, ours)] for a, b in only_theirs[:20]],
        "count_pairs_only_ours": len(only_ours), "count_pairs_only_peer": len(only_theirs),
        "groups_ours": len(og), "groups_peer": len(tg), "groups_same": len(og & tg),
        "images_in_groups_ours": sum(len(g) for g in og), "images_in_groups_peer": sum(len(g) for g in tg),
    }


def partition(path: str) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for line, first in read_tsv(path):
        groups.setdefault(first, set()).add(line)
    return groups


def same_group_pairs(groups: dict[str, set[str]]) -> set[tuple[str, str]]:
    out = set()
    for g in groups.values():
        m = sorted(g, key=int)
        for i, a in enumerate(m):
            for b in m[i + 1 :]:
                out.add((a, b))
    return out


def text(our_groups: str, peer_groups: str, our_sigs: str | None = None, peer_sigs: str | None = None) -> dict:
    og, tg = partition(our_groups), partition(peer_groups)
    osets = {frozenset(g) for g in og.values()}
    tsets = {frozenset(g) for g in tg.values()}
    olines = set().union(*og.values()) if og else set()
    tlines = set().union(*tg.values()) if tg else set()
    big = max([len(g) for g in og.values()] + [len(g) for g in tg.values()] + [0])
    out = {
        "groups_ours": len(osets), "groups_peer": len(tsets), "groups_same": len(osets & tsets),
        "lines_grouped_ours": len(olines), "lines_grouped_peer": len(tlines),
        "lines_only_ours": len(olines - tlines), "lines_only_peer": len(tlines - olines),
        "largest_group": big,
    }
    if big <= 5000:
        op, tp = same_group_pairs(og), same_group_pairs(tg)
        out["line_pairs_only_ours"] = len(op - tp)
        out["line_pairs_only_peer"] = len(tp - op)
    if our_sigs and peer_sigs:
        os_ = {r[0]: r[1] for r in read_tsv(our_sigs)}
        ts = {r[0]: r[1] for r in read_tsv(peer_sigs)}
        common = set(os_) & set(ts)
        out["signatures_compared"] = len(common)
        out["signatures_equal"] = sum(1 for k in common if os_[k] == ts[k])
    return out


def main() -> int:
    if len(sys.argv) >= 6 and sys.argv[1] == "images":
        print(json.dumps(images(*sys.argv[2:6])))
    elif len(sys.argv) in (4, 6) and sys.argv[1] == "text":
        print(json.dumps(text(*sys.argv[2:])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
