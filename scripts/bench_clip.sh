#!/usr/bin/env bash
# CLIP and SigLIP on the CPU (issue 17, "Speed"): Verdict's (examples/clip_bench.rs) against
# transformers' CLIPModel / SiglipModel on PyTorch (scripts/peer_clip.py), the same model shape
# (random weights), batch and threads, RUNS rounds interleaved (ours, then the peer's), each round
# itself a warm-up and EACH (5) timed runs. Prints each round's JSON and the medians with the ratios.
#
#   [ARCH=siglip] [INT8=1] scripts/bench_clip.sh
# Environment: ARCH (clip: ViT-B/32, made once in target/bench-data/clip-b32; siglip: a
# SigLIP-base-shaped model, patch 16 at 224, in target/bench-data/siglip-b16), RUNS (3 rounds),
# EACH (5), BATCH (32), THREADS (2), PYTHON (target/pyenv/bin/python: torch, transformers,
# open_clip_torch's BPE file), PROFILE (release; `dev` only where a release build cannot be had,
# which the report must say), CLIP_BENCH_BIN (a build of examples/clip_bench to run instead of
# building one), INT8 (1: also Verdict with --int8 each round, after the f32 run; its ratio to
# the same peer in a column of its own).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
BATCH=${BATCH:-32}
EACH=${EACH:-5}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-$ROOT/target/pyenv/bin/python}
PROFILE=${PROFILE:-release}
ARCH=${ARCH:-clip}
if [ "$ARCH" = siglip ]; then
  MODEL=target/bench-data/siglip-b16
  MAKE=make-siglip
else
  MODEL=target/bench-data/clip-b32
  MAKE=make
fi
LOGS=target/bench-data/$ARCH-logs
mkdir -p "$LOGS"
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$PYTHON" scripts/peer_clip.py "$MAKE" "$MODEL" >&2
fi
if [ -n "${CLIP_BENCH_BIN:-}" ]; then
  # Another build of the example (say which in the results).
  BIN=$CLIP_BENCH_BIN
elif [ "$PROFILE" = release ]; then
  # Without debug info, as scripts/bench_score.sh builds: the two share one release build.
  CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --example clip_bench >&2
  BIN=target/release/examples/clip_bench
else
  cargo build --example clip_bench >&2
  BIN=target/debug/examples/clip_bench
fi
echo "# $ARCH ($MODEL), batch $BATCH, $THREADS threads, profile $PROFILE, $(date -u +%FT%TZ), $(git rev-parse --short HEAD), load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$LOGS/ours.jsonl"
: > "$LOGS/peer.jsonl"
: > "$LOGS/ours-int8.jsonl"
for i in $(seq "$RUNS"); do
  RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$BIN" "$MODEL" --batch "$BATCH" --runs "$EACH" | tee -a "$LOGS/ours.jsonl"
  if [ "${INT8:-0}" = 1 ]; then
    RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$BIN" "$MODEL" --batch "$BATCH" --runs "$EACH" --int8 \
      | tee -a "$LOGS/ours-int8.jsonl"
  fi
  OMP_NUM_THREADS=$THREADS "$PYTHON" scripts/peer_clip.py bench "$MODEL" --batch "$BATCH" --runs "$EACH" --threads "$THREADS" | tee -a "$LOGS/peer.jsonl"
done
"$PYTHON" scripts/bench_table.py "$LOGS/ours.jsonl" "$LOGS/peer.jsonl" "$LOGS/ours-int8.jsonl" \
  "images={n} images: preprocess + encode" "image_model={n} images: vision forward only" "texts={n} texts: tokenize + encode"
