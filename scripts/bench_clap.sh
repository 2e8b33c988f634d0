#!/usr/bin/env bash
# CLAP on the CPU: Verdict's (examples/clap_bench.rs) against transformers' ClapModel on PyTorch
# (scripts/peer_clap.py), the same laion/clap-htsat-unfused-shaped model (random weights, made once
# in target/bench-data/clap-htsat), batch and threads, RUNS rounds interleaved (ours, then the
# peer's), each round a warm-up and EACH (3) timed runs. Prints each round's JSON and the medians
# with the ratios.
#
#   scripts/bench_clap.sh
# Environment: RUNS (3 rounds), EACH (3), BATCH (8 clips of 10 s at 48 kHz and 8 captions),
# THREADS (2), PYTHON (target/pyenv/bin/python: torch, transformers), CLAP_BENCH_BIN (a build of
# examples/clap_bench to run instead of building one; say which in the results), INT8 (1: also
# Verdict with --int8 each round, after the f32 run; its own column and ratio).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
BATCH=${BATCH:-8}
EACH=${EACH:-3}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-$ROOT/target/pyenv/bin/python}
MODEL=target/bench-data/clap-htsat
LOGS=target/bench-data/clap-logs
mkdir -p "$LOGS"
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$PYTHON" scripts/peer_clap.py make "$MODEL" >&2
fi
if [ -n "${CLAP_BENCH_BIN:-}" ]; then
  BIN=$CLAP_BENCH_BIN
else
  CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --example clap_bench >&2
  BIN=target/release/examples/clap_bench
fi
echo "# CLAP ($MODEL), batch $BATCH, $THREADS threads, $(date -u +%FT%TZ), $(git rev-parse --short HEAD), load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$LOGS/ours.jsonl"
: > "$LOGS/peer.jsonl"
: > "$LOGS/int8.jsonl"
for i in $(seq "$RUNS"); do
  RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$BIN" "$MODEL" --batch "$BATCH" --runs "$EACH" | tee -a "$LOGS/ours.jsonl"
  if [ "${INT8:-0}" = 1 ]; then
    RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$BIN" "$MODEL" --batch "$BATCH" --runs "$EACH" --int8 | tee -a "$LOGS/int8.jsonl"
  fi
  OMP_NUM_THREADS=$THREADS "$PYTHON" scripts/peer_clap.py bench "$MODEL" --batch "$BATCH" --runs "$EACH" --threads "$THREADS" | tee -a "$LOGS/peer.jsonl"
done
"$PYTHON" scripts/bench_table.py "$LOGS/ours.jsonl" "$LOGS/peer.jsonl" "$LOGS/int8.jsonl" \
  "clips={n} clips of 10 s: features + encode" "audio_model={n} clips: audio tower only" "texts={n} captions: tokenize + encode"
