#!/usr/bin/env bash
# The `cuda` feature builds (CI runs this): candle's CUDA kernels compiled by nvcc (CUDA 13.2 from
# NVIDIA's PyPI wheels, scripts/cuda-toolkit.sh) and every target type-checked with the feature on.
# No GPU and no driver are needed. In the default target folder: after `cargo clippy` only the crates
# the feature changes (cudarc, candle, Verdict) are checked again.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/cuda-toolkit.sh)"
cargo check --features cuda --all-targets "$@"
