#!/usr/bin/env bash
# Builds Verdict, imports the bundled demo datasets (assets/demo/) into a project and opens the
# desktop app on it. With no display, it says so and renders a screenshot under Xvfb instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
cargo build --quiet --bin verdict
bin=target/debug/verdict
project=target/demo/demo.verdict
mkdir -p target/demo
# Import once; a fresh project whenever the demo files change.
stamp=target/demo/.imported
if [ ! -f "$project" ] || [ ! -f "$stamp" ] || [ -n "$(find assets/demo -newer "$stamp" -print -quit)" ]; then
  rm -f "$project" "$project-wal" "$project-shm" "$project-journal"
  demo=assets/demo
  "$bin" import --project "$project" \
    "$demo/rlaif_v.parquet" "$demo/vlfeedback.json" "$demo/mia_dpo.json" "$demo/llava_dpo_video.jsonl" \
    "$demo/llava_hound.jsonl" "$demo/align_anything_ta2t.parquet"
  "$bin" import --project "$project" --map "$demo/ranked.toml" "$demo/ranked.jsonl"
  touch "$stamp"
fi
"$bin" info "$project"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$bin" open "$project"
fi
echo "No display (DISPLAY and WAYLAND_DISPLAY are unset): rendering the app under Xvfb to target/demo/screenshot.png instead." >&2
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
xvfb-run -a -s "-screen 0 1600x1000x24" "$bin" screenshot "$project" --out target/demo/screenshot.png --sample 3
