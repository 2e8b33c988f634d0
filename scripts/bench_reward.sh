#!/usr/bin/env bash
# The reward-model benchmark (issue 17; BENCHMARKS.md "### DeBERTa reward model on the CPU"): a
# DeBERTa-v3-base-shaped reward model (scripts/peer_reward.py make: random weights, a tokenizer of
# the pairs' words) scores N (prompt, response) pairs on the CPU, in Verdict
# (examples/score_bench.rs: score::load + Scorer::score, 32 pairs a call, release build) and in
# transformers on torch (scripts/peer_reward.py torch: the same calls, passes and truncation),
# ROUNDS rounds interleaved, THREADS threads each. The pairs are the MiniLM benchmark's
# (scripts/peer_score.py gen N 17: ~128 tokens a pair); with LONG=1 pairs of ~400 tokens
# (scripts/peer_reward.py long N 17). With INT8=1 also Verdict's --int8 and, as its peer, the
# model through PyTorch's dynamic int8 quantization (peer_reward.py torch --int8).
#
#   [LONG=1] [INT8=1] scripts/bench_reward.sh [N=256] [ROUNDS=2] [THREADS=2]
#
# Writes target/bench-reward/results-N.jsonl and prints the medians and Verdict's ratio
# (scripts/peer_score.py summary). SCORE_BENCH_BIN runs another build of the example.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-256}
rounds=${2:-2}
threads=${3:-2}
export RAYON_NUM_THREADS=$threads RAYON_RS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
export TOKENIZERS_PARALLELISM=true
bin=${SCORE_BENCH_BIN:-target/release/examples/score_bench}
if [ -z "${SCORE_BENCH_BIN:-}" ]; then
  CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --example score_bench >&2
fi
py=$(scripts/score-bench-env.sh)
out=target/bench-reward
mkdir -p "$out"
model=$out/deberta-v3-base-shaped
[ -f "$model/model.safetensors" ] || "$py" scripts/peer_reward.py make "$model" >&2 2>/dev/null
if [ "${LONG:-0}" = 1 ]; then
  pairs=$out/pairs-long-$n.jsonl
  [ -f "$pairs" ] || "$py" scripts/peer_reward.py long "$n" 17 "$pairs"
  results=$out/results-long-$n.jsonl
else
  pairs=$out/pairs-$n.jsonl
  [ -f "$pairs" ] || "$py" scripts/peer_score.py gen "$n" 17 "$pairs"
  results=$out/results-$n.jsonl
fi
: > "$results"
echo "bench_reward: $bin, $n pairs, $rounds rounds, $threads threads, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq 1 "$rounds"); do
  "$bin" --model "$model" --pairs "$pairs" --batch 32 | tee -a "$results" | cut -c1-160 >&2
  "$py" scripts/peer_reward.py torch "$pairs" --model "$model" --batch 32 --threads "$threads" 2>/dev/null \
    | tee -a "$results" | cut -c1-160 >&2
  if [ "${INT8:-0}" = 1 ]; then
    "$bin" --model "$model" --pairs "$pairs" --batch 32 --int8 | tee -a "$results" | cut -c1-160 >&2
    "$py" scripts/peer_reward.py torch "$pairs" --model "$model" --batch 32 --threads "$threads" --int8 \
      2>/dev/null | tee -a "$results" | cut -c1-160 >&2
  fi
  echo "bench_reward: round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
"$py" scripts/peer_score.py summary "$results"
