#!/usr/bin/env bash
# Creates (or updates, when the pinned requirements change) the Python environment in target/pyenv
# that the export tests read exports with: HF `datasets`, TRL's data utilities, LLaMA-Factory's
# dataset parser and converter. Prints the interpreter's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir=target/pyenv
stamp=$env_dir/.requirements
want=$(cat scripts/requirements-readers.txt scripts/requirements-readers-nodeps.txt)
if [ -x "$env_dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$PWD/$env_dir/bin/python"
  exit 0
fi
command -v python3 >/dev/null || { echo "verdict: python3 not found; install python3 and python3-venv" >&2; exit 1; }
python3 -m venv --clear "$env_dir" >&2 || {
  echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
echo "verdict: installing the export readers into $env_dir (datasets, transformers, trl, llamafactory)" >&2
"$env_dir/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-readers.txt >&2 || {
  echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
"$env_dir/bin/pip" install -q --disable-pip-version-check --no-deps -r scripts/requirements-readers-nodeps.txt >&2 || {
  echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
echo "$want" > "$stamp"
echo "$PWD/$env_dir/bin/python"
