#!/usr/bin/env python3
"""Python peer for the import benchmark: import a text-pair JSONL into a fresh project file.

    python3 scripts/peer_import.py FILE.jsonl OUT.verdict

Does the same work `verdict import FILE.jsonl --project OUT.verdict` does for a TRL / generic
text-pair JSONL ({"id", "prompt", "chosen", "rejected"} a line), with the standard library only
(json, sqlite3, hashlib):

- creates the schema by running ../src/store/sql/001_init.sql (relative to this script) on a fresh
  file with the project's pragmas (WAL, synchronous=NORMAL, foreign keys on, 64 MiB page cache,
  in-memory temp store) and sets user_version like the migration runner does;
- hashes the source file once, streaming (blake2b: blake3, which the Rust importer uses, is not in
  the standard library; the hash time is reported on its own as hash_s);
- inserts one `datasets` row, then for every line: a `samples` row, two `responses` rows
  (position 0 = chosen, 1 = rejected), one original pairwise `judgments` row and one `sample_fts` row
  (responses = chosen + "\\n" + rejected), in batches of 10,000 rows through executemany, all inside
  ONE transaction, then marks the dataset complete and commits.

Prints one JSON line on stdout: rows, seconds (total wall time, schema to commit), rows_per_s, and
details. If the sqlite3 library is older than 3.43 it cannot create the FTS5 table with
`contentless_delete = 1`; the option is then left out (reported as "fts_contentless_delete": false).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BATCH = 10_000
SCHEMA = Path(__file__).resolve().parent.parent / "src" / "store" / "sql" / "001_init.sql"


def now_iso() -> str:
    # Same text as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ','now'), which the Rust store uses.
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def hash_file(path: str) -> str:
    h = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, db = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)

    t0 = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)  # explicit BEGIN/COMMIT below
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")

    schema = SCHEMA.read_text(encoding="utf-8")
    contentless_delete = sqlite3.sqlite_version_info >= (3, 43, 0)
    if not contentless_delete:
        schema = schema.replace("contentless_delete = 1,", "")
    conn.executescript("BEGIN;\n" + schema + "\nPRAGMA user_version = 1;\nCOMMIT;")

    th = time.perf_counter()
    content_hash = hash_file(src)
    hash_s = time.perf_counter() - th

    cur = conn.cursor()
    cur.execute("BEGIN")
    started = now_iso()
    cur.execute(
        "INSERT INTO datasets (name, source_path, content_hash, format, preset, options_key, media_root,"
        " mapping, status, columns, imported_at) VALUES (?, ?, ?, 'jsonl', 'trl', ?, ?, NULL, 'importing', ?, ?)",
        (Path(src).stem, str(Path(src).resolve()), content_hash,
         hashlib.blake2b(b"trl", digest_size=32).hexdigest(), str(Path(src).resolve().parent),
         json.dumps(["id", "prompt", "chosen", "rejected"]), started),
    )
    dataset_id = cur.lastrowid
    next_id = (cur.execute("SELECT coalesce(max(id), 0) FROM samples").fetchone()[0]) + 1

    ins_sample = ("INSERT INTO samples (id, dataset_id, row_index, source_key, prompt, modality, extras)"
                  " VALUES (?, ?, ?, ?, ?, 'text', NULL)")
    ins_resp = "INSERT INTO responses (sample_id, position, text, model, field, meta) VALUES (?, ?, ?, NULL, ?, NULL)"
    ins_judg = ("INSERT INTO judgments (sample_id, source, label, kind, chosen, rejected, created_at)"
                " VALUES (?, 'original', 'overall', 'pairwise', 0, 1, ?)")
    ins_fts = "INSERT INTO sample_fts (rowid, prompt, responses) VALUES (?, ?, ?)"

    rows = 0
    samples, resps, judgs, fts = [], [], [], []

    def flush() -> None:
        cur.executemany(ins_sample, samples)
        cur.executemany(ins_resp, resps)
        cur.executemany(ins_judg, judgs)
        cur.executemany(ins_fts, fts)
        samples.clear(), resps.clear(), judgs.clear(), fts.clear()

    loads = json.loads
    with open(src, "r", encoding="utf-8") as f:
        created = now_iso()
        for line in f:
            if not line.strip():
                continue
            r = loads(line)
            sid = next_id + rows
            key = r.get("id")
            prompt, chosen, rejected = r["prompt"], r["chosen"], r["rejected"]
            samples.append((sid, dataset_id, rows, None if key is None else str(key), prompt))
            resps.append((sid, 0, chosen, "chosen"))
            resps.append((sid, 1, rejected, "rejected"))
            judgs.append((sid, created))
            fts.append((sid, prompt, chosen + "\n" + rejected))
            rows += 1
            if len(samples) >= BATCH:
                flush()
                created = now_iso()
    flush()
    cur.execute(
        "UPDATE datasets SET status = 'complete', rows_done = ?, sample_count = ?, finished_at = ? WHERE id = ?",
        (rows, rows, now_iso(), dataset_id),
    )
    cur.execute("COMMIT")
    conn.close()
    secs = time.perf_counter() - t0
    print(json.dumps({
        "tool": "peer_import.py",
        "rows": rows,
        "seconds": round(secs, 3),
        "rows_per_s": round(rows / secs, 1) if secs > 0 else None,
        "hash_s": round(hash_s, 3),
        "sqlite_version": sqlite3.sqlite_version,
        "fts_contentless_delete": contentless_delete,
        "db_bytes": os.path.getsize(db),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
