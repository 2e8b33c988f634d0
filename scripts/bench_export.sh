#!/usr/bin/env bash
# Export benchmarks, end to end; prints a Markdown table on stdout.
#
#   scripts/bench_export.sh
#
# 1. cargo build --release (the binary and the export_floor / relabel_every examples);
# 2. under target/bench-data/ (made once, kept): the 1M-row text JSONL and the 2,000-row RLAIF-V
#    Parquet of scripts/bench_import.sh (generated if missing), each imported into a project; the text
#    project then gets a curator's work through the store's API (examples/relabel_every: every 100th
#    sample swapped, every 1,000th flagged);
# 3. text: `verdict export P --format trl --out D` (TRL standard JSONL) and scripts/peer_export.py
#    (Python sqlite3 + json.dumps, the same rows) on the same project, RUNS times each, interleaved,
#    under /usr/bin/time -v (wall, peak RSS); the outputs are checked to hold the same rows;
# 4. Parquet: `verdict export P --format trl --file-format parquet` (images embedded) and
#    examples/export_floor (the same blobs read out of the project into one Parquet column, nothing
#    else), RUNS times each, interleaved.
# Medians are compared. Environment: RUNS (default 5), ROWS_TEXT (default 1000000), ROWS_PARQUET
# (default 2000), PYTHON (default: target/pyenv/bin/python when it exists, else python3; the
# generators need numpy, pillow, pyarrow). Logs in target/bench-data/logs/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
ROWS_TEXT=${ROWS_TEXT:-1000000}
ROWS_PARQUET=${ROWS_PARQUET:-2000}
DEFAULT_PY=python3
[ -x target/pyenv/bin/python ] && DEFAULT_PY=target/pyenv/bin/python
PY=${PYTHON:-$DEFAULT_PY}
DATA=target/bench-data
LOGS=$DATA/logs
mkdir -p "$LOGS"
log() { printf '%s\n' "$*" >&2; }

[ -x /usr/bin/time ] || { log "GNU time is needed at /usr/bin/time (apt-get install time)"; exit 1; }

log "== cargo build --release"
cargo build --release --bin verdict --example export_floor --example relabel_every >&2
VERDICT=target/release/verdict

TEXT=$DATA/text-$ROWS_TEXT-s0.jsonl
PARQ=$DATA/rlaif-$ROWS_PARQUET-s0.parquet
[ -f "$TEXT" ] || "$PY" scripts/gen_synthetic.py --kind text-jsonl --rows "$ROWS_TEXT" --seed 0 --out "$TEXT"
[ -f "$PARQ" ] || "$PY" scripts/gen_synthetic.py --kind rlaif-parquet --rows "$ROWS_PARQUET" --seed 0 --out "$PARQ"

P_TEXT=$DATA/export-text-$ROWS_TEXT.verdict
P_PARQ=$DATA/export-rlaif-$ROWS_PARQUET.verdict
if [ ! -f "$P_TEXT.ready" ]; then
    log "== importing $TEXT (once)"
    rm -f "$P_TEXT" "$P_TEXT-wal" "$P_TEXT-shm"
    "$VERDICT" import "$TEXT" --project "$P_TEXT" >&2
    target/release/examples/relabel_every "$P_TEXT" 100 >&2
    touch "$P_TEXT.ready"
fi
if [ ! -f "$P_PARQ.ready" ]; then
    log "== importing $PARQ (once)"
    rm -f "$P_PARQ" "$P_PARQ-wal" "$P_PARQ-shm"
    "$VERDICT" import "$PARQ" --project "$P_PARQ" >&2
    touch "$P_PARQ.ready"
fi

# timed NAME CMD...: wall seconds into WALL, peak RSS (MB = 10^6 bytes) into RSS_MB.
timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$LOGS/$name.time" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || {
        log "!! $name failed; see $LOGS/$name.err"; tail -n 15 "$LOGS/$name.err" >&2; exit 1; }
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$LOGS/$name.time")
    RSS_MB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 * 1024 / 1e6 }' "$LOGS/$name.time")
}
median() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
span() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
calc() { awk "BEGIN { x = $1; printf \"%.${2:-1}f\", x }"; }
warm() { cat "$1" >/dev/null; }

OUT=$DATA/export-out
RUST_T="" PEER_T="" RUST_RSS=0 PEER_RSS=0 PQ_T="" FLOOR_T="" PQ_RSS=0
for i in $(seq "$RUNS"); do
    warm "$P_TEXT"
    log "== verdict export trl jsonl ($i/$RUNS)"
    rm -rf "$OUT/trl"
    timed rust-export "$VERDICT" export "$P_TEXT" --format trl --out "$OUT/trl"
    RUST_T="$RUST_T $WALL"; [ "$RSS_MB" -gt "$RUST_RSS" ] && RUST_RSS=$RSS_MB
    log "== peer_export.py ($i/$RUNS)"
    rm -f "$OUT/peer.jsonl"
    timed peer-export "$PY" scripts/peer_export.py "$P_TEXT" "$OUT/peer.jsonl"
    PEER_T="$PEER_T $WALL"; [ "$RSS_MB" -gt "$PEER_RSS" ] && PEER_RSS=$RSS_MB

    warm "$P_PARQ"
    log "== verdict export trl parquet ($i/$RUNS)"
    rm -rf "$OUT/trl-pq"
    timed rust-parquet "$VERDICT" export "$P_PARQ" --format trl --file-format parquet --out "$OUT/trl-pq"
    PQ_T="$PQ_T $WALL"; [ "$RSS_MB" -gt "$PQ_RSS" ] && PQ_RSS=$RSS_MB
    log "== export_floor ($i/$RUNS)"
    rm -f "$OUT/floor.parquet"
    timed export-floor target/release/examples/export_floor "$P_PARQ" "$OUT/floor.parquet"
    FLOOR_T="$FLOOR_T $WALL"
done

RUST_ROWS=$(wc -l <"$OUT/trl/train.jsonl")
PEER_ROWS=$(wc -l <"$OUT/peer.jsonl")
SAME=$(cmp -s "$OUT/trl/train.jsonl" "$OUT/peer.jsonl" && echo "byte-identical" || echo "DIFFERENT")
RUST_S=$(median "$RUST_T") PEER_S=$(median "$PEER_T") PQ_S=$(median "$PQ_T") FLOOR_S=$(median "$FLOOR_T")
RUST_RATE=$(calc "$RUST_ROWS / $RUST_S" 0) PEER_RATE=$(calc "$PEER_ROWS / $PEER_S" 0)
PQ_BYTES=$(stat -c %s "$OUT/trl-pq/train.parquet")
FLOOR_BYTES=$(stat -c %s "$OUT/floor.parquet")

cat <<EOF

## Export benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), medians of $RUNS interleaved runs)

| run | rows | wall s (range) | rows/s | peak RSS MB | output |
|---|---:|---:|---:|---:|---|
| \`verdict export --format trl\` (1M text pairs, JSONL) | $RUST_ROWS | $RUST_S ($(span "$RUST_T")) | $RUST_RATE | $RUST_RSS | $(calc "$(stat -c %s "$OUT/trl/train.jsonl") / 1e6" 0) MB |
| \`peer_export.py\` (Python sqlite3 + json.dumps) | $PEER_ROWS | $PEER_S ($(span "$PEER_T")) | $PEER_RATE | $PEER_RSS | $(calc "$(stat -c %s "$OUT/peer.jsonl") / 1e6" 0) MB, $SAME to ours |
| \`verdict export --format trl --file-format parquet\` (2,000 RLAIF-V rows, images embedded) | $ROWS_PARQUET | $PQ_S ($(span "$PQ_T")) | $(calc "$ROWS_PARQUET / $PQ_S" 0) | $PQ_RSS | $(calc "$PQ_BYTES / 1e6" 0) MB |
| \`export_floor\` (the same blobs into one Parquet column) | $ROWS_PARQUET | $FLOOR_S ($(span "$FLOOR_T")) | - | - | $(calc "$FLOOR_BYTES / 1e6" 0) MB |

- TRL JSONL export vs the Python peer: **$(calc "$RUST_RATE / $PEER_RATE" 2)x** its rows/s (goal: at least 5x); peak RSS $RUST_RSS MB (goal: under 300 MB).
- TRL Parquet export with embedded images vs the floor: **$(calc "$PQ_S / $FLOOR_S" 2)x** its time (goal: within 1.5x).
- Wall times and peak RSS from \`/usr/bin/time -v\`, process start to exit; the project files are read once before each run.
EOF
