#!/usr/bin/env bash
# Builds Verdict, imports the bundled demo datasets (assets/demo/) into a fresh project and opens it.
# Until the desktop app lands, "opens" means: prints `verdict info` and the first sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
cargo build --quiet
bin=target/debug/verdict
project=target/demo/demo.verdict
mkdir -p target/demo
rm -f "$project" "$project-wal" "$project-shm"
demo=assets/demo
"$bin" import --project "$project" \
  "$demo/rlaif_v.parquet" "$demo/vlfeedback.json" "$demo/mia_dpo.json" "$demo/llava_dpo_video.jsonl" \
  "$demo/llava_hound.jsonl" "$demo/align_anything_ta2t.parquet"
"$bin" import --project "$project" --map "$demo/ranked.toml" "$demo/ranked.jsonl"
"$bin" info "$project"
echo
"$bin" show "$project" 1
