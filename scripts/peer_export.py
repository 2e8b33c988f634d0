#!/usr/bin/env python3
"""The Python peer for the export benchmark: the same work as `verdict export P --format trl` on a
text-only project, with the standard library alone. One SQL query reads every sample's prompt and
the chosen and rejected texts of its current label (the latest curator judgment, else the original
overall one), skipping flagged samples, ties and both-bad; `json.dumps` writes one TRL standard row
per sample into one file.

    python3 scripts/peer_export.py PROJECT.verdict OUT.jsonl
"""

import json
import sqlite3
import sys
import time

QUERY = """
SELECT s.prompt, rc.text, rr.text
FROM samples s
LEFT JOIN curation c ON c.sample_id = s.id
LEFT JOIN judgments cj ON cj.id = c.judgment_id
JOIN judgments oj ON oj.sample_id = s.id AND oj.source = 'original' AND oj.label = 'overall'
JOIN responses rc ON rc.sample_id = s.id AND rc.position = coalesce(cj.chosen, oj.chosen)
JOIN responses rr ON rr.sample_id = s.id AND rr.position = coalesce(cj.rejected, oj.rejected)
WHERE c.flag IS NULL AND coalesce(cj.kind, oj.kind) IN ('pairwise', 'correction')
ORDER BY s.id
"""


def main():
    project, out = sys.argv[1:3]
    started = time.perf_counter()
    con = sqlite3.connect(f"file:{project}?mode=ro", uri=True)
    rows = 0
    with open(out, "w", encoding="utf-8") as f:
        for prompt, chosen, rejected in con.execute(QUERY):
            f.write(json.dumps({"prompt": prompt, "chosen": chosen, "rejected": rejected}, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
            rows += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}))


if __name__ == "__main__":
    main()
