#!/usr/bin/env bash
# The whole test suite: system packages, the Python environment the export tests read exports
# with, then every test target (unit, integration, CLI end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
command -v cargo >/dev/null || { echo "verdict: cargo not found; install Rust 1.95 (rustup.rs)" >&2; exit 1; }
VERDICT_PYTHON=$(scripts/python-env.sh)
export VERDICT_PYTHON
cargo test --all-targets "$@"
