#!/usr/bin/env bash
# Import benchmarks, end to end; prints a Markdown table on stdout.
#
#   scripts/bench_import.sh
#
# 1. cargo build --release (the binary and the hash_floor example);
# 2. generates, if missing, under target/bench-data/: a text-pair JSONL (ROWS_TEXT rows, default 1,000,000)
#    and an RLAIF-V-like Parquet with embedded JPEGs (ROWS_PARQUET rows, default 2,000);
# 3. `verdict import FILE --project P.verdict` on each, under /usr/bin/time -v (wall time, peak RSS),
#    each into a fresh project file;
# 4. scripts/peer_import.py (Python json + sqlite3) on the same JSONL;
# 5. examples/hash_floor (read + blake3 the Parquet once): the floor the issue names for the
#    Parquet import; examples/store_floor (read + blake3 + store the same bytes durably in SQLite
#    with the import's settings, no parsing): the least an import into one SQLite file does; and
#    scripts/peer_blob_store.py (pyarrow + sqlite3 storing the Parquet's images alone). The
#    Parquet import and the three references run PARQ_RUNS times (default 5), interleaved;
#    medians are compared.
#
# Environment: ROWS_TEXT, ROWS_PARQUET, PARQ_RUNS, SEED (generator seed, default 0), PYTHON (default python3),
# SKIP_PEER=1 (skip the Python peer, which takes minutes on 1M rows), KEEP=1 (keep the project files).
# Files are read once before timing, so every run starts with the file in the page cache.
# Logs of every run are kept in target/bench-data/logs/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROWS_TEXT=${ROWS_TEXT:-1000000}
ROWS_PARQUET=${ROWS_PARQUET:-2000}
PARQ_RUNS=${PARQ_RUNS:-5}
SEED=${SEED:-0}
PY=${PYTHON:-python3}
DATA=target/bench-data
LOGS=$DATA/logs
mkdir -p "$LOGS"

log() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time (apt-get install time)"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y time >&2 || { log "GNU time is needed at /usr/bin/time"; exit 1; }
fi
if ! "$PY" -c 'import numpy, PIL, pyarrow' 2>/dev/null; then
    log "the generators need numpy, pillow and pyarrow: $PY -m pip install numpy pillow pyarrow"
    exit 1
fi

log "== cargo build --release"
cargo build --release --bin verdict --example hash_floor --example store_floor >&2
VERDICT=target/release/verdict
FLOOR=target/release/examples/hash_floor
STORE_FLOOR=target/release/examples/store_floor

# --- data --------------------------------------------------------------------------------------
TEXT=$DATA/text-$ROWS_TEXT-s$SEED.jsonl
PARQ=$DATA/rlaif-$ROWS_PARQUET-s$SEED.parquet
if [ ! -f "$TEXT" ]; then
    log "== generating $TEXT"
    "$PY" scripts/gen_synthetic.py --kind text-jsonl --rows "$ROWS_TEXT" --seed "$SEED" --out "$TEXT"
fi
if [ ! -f "$PARQ" ]; then
    log "== generating $PARQ"
    "$PY" scripts/gen_synthetic.py --kind rlaif-parquet --rows "$ROWS_PARQUET" --seed "$SEED" --out "$PARQ"
fi
TEXT_BYTES=$(stat -c %s "$TEXT")
PARQ_BYTES=$(stat -c %s "$PARQ")

# --- helpers -----------------------------------------------------------------------------------
# timed NAME CMD...: runs CMD under /usr/bin/time -v; stdout -> logs/NAME.out, stderr -> logs/NAME.err.
# Sets WALL (seconds), RSS_MB (peak resident set, MB = 10^6 bytes) and RC (exit status).
timed() {
    local name=$1
    shift
    cat "${BENCH_INPUT:?}" >/dev/null # warm the page cache
    RC=0
    /usr/bin/time -v -o "$LOGS/$name.time" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || RC=$?
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$LOGS/$name.time")
    RSS_MB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 * 1024 / 1e6 }' "$LOGS/$name.time")
    if [ "$RC" -ne 0 ]; then
        log "!! $name exited $RC; last lines of $LOGS/$name.err:"
        tail -n 15 "$LOGS/$name.err" >&2 || true
    fi
}

fresh() { rm -f "$1" "$1-wal" "$1-shm"; }

# calc EXPR: floating point via awk
calc() { awk "BEGIN { x = $1; printf \"%.${2:-1}f\", x }"; }

# samples_in DB: how many samples a project file holds (sanity check), or "?"
samples_in() {
    "$PY" - "$1" <<'EOF' 2>/dev/null || echo "?"
import sqlite3, sys
print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT count(*) FROM samples").fetchone()[0])
EOF
}

# --- runs --------------------------------------------------------------------------------------
P_TEXT=$DATA/text.verdict
P_PEER=$DATA/peer.verdict
P_PARQ=$DATA/rlaif.verdict

log "== verdict import $TEXT"
fresh "$P_TEXT"
BENCH_INPUT=$TEXT timed rust-text "$VERDICT" import "$TEXT" --project "$P_TEXT"
RUST_TEXT_RC=$RC RUST_TEXT_S=$WALL RUST_TEXT_RSS=$RSS_MB
RUST_TEXT_N=$( [ "$RC" -eq 0 ] && samples_in "$P_TEXT" || echo "-")

if [ "${SKIP_PEER:-0}" != 1 ]; then
    log "== peer_import.py $TEXT"
    fresh "$P_PEER"
    BENCH_INPUT=$TEXT timed peer-text "$PY" scripts/peer_import.py "$TEXT" "$P_PEER"
    PEER_RC=$RC PEER_S=$WALL PEER_RSS=$RSS_MB
    PEER_N=$( [ "$RC" -eq 0 ] && samples_in "$P_PEER" || echo "-")
    PEER_NOTE=$(tr -d '\n' <"$LOGS/peer-text.out")
fi

# The Parquet runs take a second each and this VM varies by 10-30 % from run to run: each of the
# three is run PARQ_RUNS times, interleaved, and the medians are compared.
PARQ_TIMES="" FLOOR_TIMES="" STORE_TIMES="" BLOB_TIMES=""
RUST_PARQ_RC=0 FLOOR_RC=0 STORE_RC=0 BLOB_RC=0 RUST_PARQ_RSS=0
P_STORE=$DATA/store-floor.db
P_BLOB=$DATA/blob-peer.db
json_seconds() { "$PY" -c 'import json,sys; print(max(round(json.loads(open(sys.argv[1]).read())["seconds"], 4), 0.0001))' "$1" 2>/dev/null; }
for i in $(seq "$PARQ_RUNS"); do
    log "== verdict import $PARQ ($i/$PARQ_RUNS)"
    fresh "$P_PARQ"
    BENCH_INPUT=$PARQ timed rust-parquet "$VERDICT" import "$PARQ" --project "$P_PARQ"
    [ "$RC" -ne 0 ] && RUST_PARQ_RC=$RC
    PARQ_TIMES="$PARQ_TIMES $WALL"
    [ "$RSS_MB" -gt "$RUST_PARQ_RSS" ] && RUST_PARQ_RSS=$RSS_MB
    RUST_PARQ_N=$( [ "$RC" -eq 0 ] && samples_in "$P_PARQ" || echo "-")

    log "== hash_floor $PARQ ($i/$PARQ_RUNS)"
    BENCH_INPUT=$PARQ timed floor "$FLOOR" "$PARQ"
    [ "$RC" -ne 0 ] && FLOOR_RC=$RC
    FLOOR_TIMES="$FLOOR_TIMES $(json_seconds "$LOGS/floor.out" || echo "$WALL")"

    log "== store_floor $PARQ ($i/$PARQ_RUNS)"
    rm -f "$P_STORE"
    BENCH_INPUT=$PARQ timed store-floor "$STORE_FLOOR" "$PARQ" "$P_STORE"
    [ "$RC" -ne 0 ] && STORE_RC=$RC
    STORE_TIMES="$STORE_TIMES $(json_seconds "$LOGS/store-floor.out" || echo "$WALL")"

    log "== peer_blob_store.py $PARQ ($i/$PARQ_RUNS)"
    rm -f "$P_BLOB"
    BENCH_INPUT=$PARQ timed blob-peer "$PY" scripts/peer_blob_store.py "$PARQ" "$P_BLOB"
    [ "$RC" -ne 0 ] && BLOB_RC=$RC
    BLOB_TIMES="$BLOB_TIMES $(json_seconds "$LOGS/blob-peer.out" || echo "$WALL")"
done
rm -f "$P_BLOB" "$P_BLOB-journal" "$P_STORE" "$P_STORE-journal"
# median LIST / span LIST: of whitespace-separated numbers
median() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
span() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
RUST_PARQ_S=$(median "$PARQ_TIMES")
FLOOR_S=$(median "$FLOOR_TIMES")
STORE_S=$(median "$STORE_TIMES")
BLOB_S=$(median "$BLOB_TIMES")

if [ "${KEEP:-0}" != 1 ]; then
    fresh "$P_TEXT"
    fresh "$P_PEER"
    fresh "$P_PARQ"
fi

# --- report ------------------------------------------------------------------------------------
status() { [ "$1" -eq 0 ] && echo "ok" || echo "FAILED (exit $1, see $LOGS)"; }
rate() { [ "$2" -eq 0 ] && calc "$ROWS / $1" 0 || echo "-"; }

ROWS=$ROWS_TEXT
RUST_TEXT_RATE=$(rate "$RUST_TEXT_S" "$RUST_TEXT_RC")
PEER_RATE="-"
[ "${SKIP_PEER:-0}" != 1 ] && PEER_RATE=$(rate "$PEER_S" "$PEER_RC")
ROWS=$ROWS_PARQUET
RUST_PARQ_RATE=$(rate "$RUST_PARQ_S" "$RUST_PARQ_RC")

RATIO="-"
if [ "$RUST_TEXT_RATE" != "-" ] && [ "$PEER_RATE" != "-" ]; then
    RATIO="$(calc "$RUST_TEXT_RATE / $PEER_RATE" 2)x"
fi
FLOOR_RATIO="-" STORE_RATIO="-" BLOB_RATIO="-"
if [ "$RUST_PARQ_RC" -eq 0 ] && [ "$FLOOR_RC" -eq 0 ]; then
    FLOOR_RATIO="$(calc "$RUST_PARQ_S / $FLOOR_S" 1)x the floor"
fi
if [ "$RUST_PARQ_RC" -eq 0 ] && [ "$STORE_RC" -eq 0 ]; then
    STORE_RATIO="$(calc "$RUST_PARQ_S / $STORE_S" 2)x the store floor"
fi
if [ "$RUST_PARQ_RC" -eq 0 ] && [ "$BLOB_RC" -eq 0 ]; then
    BLOB_RATIO="$(calc "$RUST_PARQ_S / $BLOB_S" 2)x the time of storing the images alone"
fi

MB_TEXT=$(calc "$TEXT_BYTES / 1e6" 0)
MB_PARQ=$(calc "$PARQ_BYTES / 1e6" 0)
cat <<EOF

## Import benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m))

| run | input | rows | wall s | rows/s | peak RSS MB | samples stored | status |
|---|---|---:|---:|---:|---:|---:|---|
| \`verdict import\` text JSONL | $MB_TEXT MB | $ROWS_TEXT | $RUST_TEXT_S | $RUST_TEXT_RATE | $RUST_TEXT_RSS | $RUST_TEXT_N | $(status "$RUST_TEXT_RC") |
EOF
if [ "${SKIP_PEER:-0}" != 1 ]; then
    echo "| \`peer_import.py\` (Python json + sqlite3) | $MB_TEXT MB | $ROWS_TEXT | $PEER_S | $PEER_RATE | $PEER_RSS | $PEER_N | $(status "$PEER_RC") |"
fi
cat <<EOF
| \`verdict import\` RLAIF-V Parquet (embedded JPEGs), median of $PARQ_RUNS ($(span "$PARQ_TIMES") s) | $MB_PARQ MB | $ROWS_PARQUET | $RUST_PARQ_S | $RUST_PARQ_RATE | $RUST_PARQ_RSS | $RUST_PARQ_N | $(status "$RUST_PARQ_RC") |
| \`hash_floor\` (read + blake3 the Parquet), median of $PARQ_RUNS ($(span "$FLOOR_TIMES") s) | $MB_PARQ MB | - | $FLOOR_S | $( [ "$FLOOR_RC" -eq 0 ] && calc "$PARQ_BYTES / 1e6 / $FLOOR_S" 0 || echo "-") MB/s | - | - | $(status "$FLOOR_RC") |
| \`store_floor\` (read + blake3 + store the Parquet's bytes durably in SQLite), median of $PARQ_RUNS ($(span "$STORE_TIMES") s) | $MB_PARQ MB | - | $STORE_S | $( [ "$STORE_RC" -eq 0 ] && calc "$PARQ_BYTES / 1e6 / $STORE_S" 0 || echo "-") MB/s | - | - | $(status "$STORE_RC") |
| \`peer_blob_store.py\` (the images alone into SQLite, durably), median of $PARQ_RUNS ($(span "$BLOB_TIMES") s) | $MB_PARQ MB | - | $BLOB_S | - | - | - | $(status "$BLOB_RC") |

- Text import, Rust / Python peer throughput: **$RATIO**
- Parquet import time vs the read+hash floor: **$FLOOR_RATIO**; vs the store floor: **$STORE_RATIO**; vs the Python peer storing the images alone: **$BLOB_RATIO**
- Wall times and peak RSS from \`/usr/bin/time -v\` (process start to exit); inputs are in the page cache.
EOF
if [ "${SKIP_PEER:-0}" != 1 ]; then
    echo "- Peer's own report: \`$PEER_NOTE\`"
fi
