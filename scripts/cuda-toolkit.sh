#!/usr/bin/env bash
# Makes target/cuda-toolkit: the CUDA compiler and headers candle's `cuda` feature needs at build
# time (nvcc, its NVVM and CRT, the runtime's headers and libcudart, CCCL), from NVIDIA's PyPI
# wheels, pinned to CUDA 13.2 (what PyPI's torch 2.15 runs). No driver and no GPU are needed to
# build. Prints the environment to build with, for `eval`:
#   eval "$(scripts/cuda-toolkit.sh)" && cargo build --features cuda
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/target/cuda-toolkit
wheels=(nvidia-cuda-nvcc==13.2.86 nvidia-nvvm==13.2.86 nvidia-cuda-crt==13.2.86 nvidia-cuda-runtime==13.2.86
        nvidia-cuda-cccl==13.3.5.0.6)
stamp=$dir/.wheels
if [ ! -x "$dir/nvidia/cu13/bin/nvcc" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${wheels[*]}" ]; then
  command -v python3 >/dev/null || { echo "verdict: python3 not found (it fetches NVIDIA's CUDA wheels)" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir/wheels"
  python3 -m venv "$dir/venv" >&2 || {
    echo "verdict: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  echo "verdict: fetching the CUDA 13.2 compiler from PyPI into $dir (~60 MB)" >&2
  "$dir/venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$dir/wheels" "${wheels[@]}" >&2 || {
    echo "verdict: could not download NVIDIA's CUDA wheels (no access to PyPI?)" >&2; exit 1; }
  for w in "$dir"/wheels/*.whl; do python3 -m zipfile -e "$w" "$dir"; done
  rm -rf "$dir/wheels" "$dir/venv"
  chmod -R a+x "$dir/nvidia/cu13/bin" "$dir/nvidia/cu13/nvvm/bin"
  # The linker looks for libcudart.so; the wheel ships only the versioned library.
  ln -sf libcudart.so.13 "$dir/nvidia/cu13/lib/libcudart.so"
  echo "${wheels[*]}" > "$stamp"
fi
cuda=$dir/nvidia/cu13
# H100 and H200 are compute capability 9.0; the PTX also runs on newer GPUs.
echo "export CUDA_HOME=$cuda NVCC=$cuda/bin/nvcc CUDA_COMPUTE_CAP=\${CUDA_COMPUTE_CAP:-90} PATH=$cuda/bin:\$PATH"
echo "export LIBRARY_PATH=$cuda/lib\${LIBRARY_PATH:+:\$LIBRARY_PATH}"
