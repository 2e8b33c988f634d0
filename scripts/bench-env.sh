#!/usr/bin/env bash
# Creates (or remakes, when its pinned requirements change) target/bench-env, the Python
# environment of the cleaning benchmarks' peers (scripts/bench_clean.sh), and prints its
# interpreter on stdout: datasketch, rensa, xxhash, imagededup (without torch: its PHash needs only
# numpy, scipy and Pillow; installed --no-deps), pyarrow and Pillow for the generators. No torch:
# about 400 MB in all.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "verdict: python3 not found; install python3 and python3-venv" >&2; exit 1; }
env_dir=target/bench-env
reqs=scripts/requirements-bench.txt
nodeps=scripts/requirements-bench-nodeps.txt
want=$(cat "$reqs" "$nodeps")
if [ ! -x "$env_dir/bin/python" ] || [ ! -f "$env_dir/.requirements" ] || [ "$(cat "$env_dir/.requirements")" != "$want" ]; then
  python3 -m venv --clear "$env_dir" >&2 || {
    echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  echo "verdict: installing $(grep -hv '^#' "$reqs" "$nodeps" | tr '\n' ' ')into $env_dir" >&2
  "$env_dir/bin/pip" install -q --disable-pip-version-check -r "$reqs" >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  "$env_dir/bin/pip" install -q --disable-pip-version-check --no-deps -r "$nodeps" >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  echo "$want" > "$env_dir/.requirements"
fi
echo "$PWD/$env_dir/bin/python"
