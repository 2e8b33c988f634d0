"""The Markdown table of a Verdict-against-PyTorch benchmark (scripts/bench_clip.sh,
scripts/bench_clap.sh): each tool's JSON lines (one a round, each key a list of timed runs), the
medians over all runs and the ratios to the peer's; a column for Verdict's --int8 runs where their
file holds any.

    python bench_table.py OURS.jsonl PEER.jsonl INT8.jsonl KEY=LABEL...   ({n} in a label: the batch)
"""
import json
import statistics
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(ours_path, peer_path, int8_path, *labels):
    ours, peer, int8 = rows(ours_path), rows(peer_path), rows(int8_path)
    head = "| what | verdict (s, median) | transformers (s, median) | speed vs PyTorch |"
    rule = "|---|---|---|---|"
    if int8:
        head += " verdict --int8 (s, median) | int8 vs PyTorch |"
        rule += "---|---|"
    print(head)
    print(rule)
    n = ours[0]["batch"]
    for item in labels:
        key, label = item.split("=", 1)
        o = statistics.median(x for r in ours for x in r[key])
        p = statistics.median(x for r in peer for x in r[key])
        row = f"| {label.format(n=n)} | {o:.3f} | {p:.3f} | {p / o:.2f}x |"
        if int8:
            q = statistics.median(x for r in int8 for x in r[key])
            row += f" {q:.3f} | {p / q:.2f}x |"
        print(row)


if __name__ == "__main__":
    main(*sys.argv[1:])
