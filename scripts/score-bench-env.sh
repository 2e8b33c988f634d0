#!/usr/bin/env bash
# Creates (or remakes, when its pinned requirements change) target/score-bench-env, the Python
# environment of the scoring benchmark's peers (scripts/bench_score.sh): sentence-transformers and
# ONNX Runtime (scripts/requirements-score-bench.txt), torch from target/pytorch (made by
# scripts/python-env.sh) through a .pth file. Prints its interpreter on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "verdict: python3 not found; install python3 and python3-venv" >&2; exit 1; }
[ -d target/pytorch ] || { echo "verdict: target/pytorch is missing: run scripts/python-env.sh first" >&2; exit 1; }
env_dir=target/score-bench-env
reqs=scripts/requirements-score-bench.txt
want=$(cat scripts/requirements-torch.txt "$reqs")
if [ ! -x "$env_dir/bin/python" ] || [ ! -f "$env_dir/.requirements" ] || [ "$(cat "$env_dir/.requirements")" != "$want" ]; then
  python3 -m venv --clear "$env_dir" >&2 || {
    echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  site=$("$env_dir/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  # A relative line in a .pth file is read relative to site-packages.
  echo "$(realpath --relative-to="$site" target/pytorch)" > "$site/verdict-torch.pth"
  echo "verdict: installing $(grep -hv '^#' "$reqs" | tr '\n' ' ')into $env_dir" >&2
  "$env_dir/bin/pip" install -q --disable-pip-version-check -r "$reqs" >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  echo "$want" > "$env_dir/.requirements"
fi
echo "$PWD/$env_dir/bin/python"
