#!/usr/bin/env python3
"""Python peer for the Parquet import benchmark: store a Parquet file's embedded images durably
in SQLite, and nothing else.

    python3 scripts/peer_blob_store.py FILE.parquet OUT.db

The least an import of embedded media into one SQLite project file must do: read the Parquet
batch by batch (pyarrow), take every `bytes` field of every struct column (HF Image/Audio
structs), hash it (blake2b, standard library) and insert it once per hash into
`blobs (hash TEXT PRIMARY KEY, size, bytes)` on a fresh file with the settings `verdict import`
uses for a project nobody else has open (16 KiB pages, rollback journal, synchronous=FULL,
16 MiB page cache), committing every 16 MiB of bytes like the importer's batches. No samples,
responses, judgments, full-text index, image probing or hash of the whole file: the Rust importer
does all of those on top.

Prints one JSON line on stdout: images, bytes, seconds (wall time, open to last commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time

import pyarrow.parquet as pq

COMMIT_BYTES = 16 << 20


def struct_bytes(column):
    """Yields the `bytes` of every struct value (or of every struct in a list) in a column."""
    for value in column.to_pylist():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("bytes"), (bytes, bytearray)):
                yield bytes(item["bytes"])


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(out + suffix):
            os.remove(out + suffix)
    started = time.perf_counter()
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -16384")
    conn.execute("CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, bytes BLOB NOT NULL)")
    images = total = pending = 0
    conn.execute("BEGIN")
    for batch in pq.ParquetFile(src).iter_batches(batch_size=128):
        for column in batch.columns:
            for data in struct_bytes(column):
                key = hashlib.blake2b(data, digest_size=32).hexdigest()
                conn.execute("INSERT OR IGNORE INTO blobs (hash, size, bytes) VALUES (?, ?, ?)", (key, len(data), data))
                images += 1
                total += len(data)
                pending += len(data)
                if pending >= COMMIT_BYTES:
                    conn.execute("COMMIT")
                    conn.execute("BEGIN")
                    pending = 0
    conn.execute("COMMIT")
    conn.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"images": images, "bytes": total, "seconds": round(seconds, 4)}))


if __name__ == "__main__":
    main()
