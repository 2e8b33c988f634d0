#!/usr/bin/env bash
# Creates (or updates, when their pinned requirements change) the Python environments the export
# tests read and train with, and prints target/pyenv's interpreter on stdout:
#   target/pytorch      torch, installed once (pip --target) and seen by both environments below
#                       through a .pth file: PyPI's torch is a CUDA build (~5 GB with its nvidia
#                       wheels) that runs on the CPU, and one copy is enough;
#   target/pyenv        the readers and trainers: HF datasets, transformers, TRL (DPOTrainer),
#                       accelerate, LLaMA-Factory's data code, OpenRLHF's dataset code;
#   target/pyenv-swift  ms-swift, which pins older datasets, transformers and TRL than the others.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "verdict: python3 not found; install python3 and python3-venv" >&2; exit 1; }

# Prints the interpreter of a virtual environment in $1 holding $2 (pip's resolver) and $3
# (--no-deps), made again when those files change.
make_env() {
  local env_dir=$1 reqs=$2 nodeps=$3
  local stamp=$env_dir/.requirements want
  want=$(cat scripts/requirements-torch.txt "$reqs" "$nodeps")
  if [ -x "$env_dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  python3 -m venv --clear "$env_dir" >&2 || {
    echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  # A relative line in a .pth file is read relative to site-packages: target/pytorch.
  local site
  site=$("$env_dir/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  echo "$(realpath --relative-to="$site" target/pytorch)" > "$site/verdict-torch.pth"
  echo "verdict: installing $(grep -hv '^#' "$reqs" "$nodeps" | tr '\n' ' ')into $env_dir" >&2
  "$env_dir/bin/pip" install -q --disable-pip-version-check -r "$reqs" >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  "$env_dir/bin/pip" install -q --disable-pip-version-check --no-deps -r "$nodeps" >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  echo "$want" > "$stamp"
}

torch_stamp=target/pytorch/.requirements
if [ ! -f "$torch_stamp" ] || [ "$(cat "$torch_stamp")" != "$(cat scripts/requirements-torch.txt)" ]; then
  # pip --target needs a pip: the readers' environment's, made first without its packages.
  rm -rf target/pytorch target/pyenv/.requirements target/pyenv-swift/.requirements
  python3 -m venv --clear target/pyenv >&2 || {
    echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  echo "verdict: installing torch into target/pytorch (~5 GB, CUDA build used on the CPU)" >&2
  target/pyenv/bin/pip install -q --disable-pip-version-check --target target/pytorch -r scripts/requirements-torch.txt >&2 || {
    echo "verdict: pip install failed (no access to PyPI?)" >&2; exit 1; }
  cp scripts/requirements-torch.txt "$torch_stamp"
fi
make_env target/pyenv scripts/requirements-readers.txt scripts/requirements-readers-nodeps.txt
make_env target/pyenv-swift scripts/requirements-swift.txt scripts/requirements-swift-nodeps.txt
echo "$PWD/target/pyenv/bin/python"
