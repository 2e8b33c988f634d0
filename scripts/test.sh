#!/usr/bin/env bash
# The whole test suite: system packages, the Python environments the export tests read and train
# on exports with (scripts/python-env.sh), then every test target (unit, integration, CLI end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
command -v cargo >/dev/null || { echo "verdict: cargo not found; install Rust 1.95 (rustup.rs)" >&2; exit 1; }
VERDICT_PYTHON=$(scripts/python-env.sh)
VERDICT_SWIFT_PYTHON=$PWD/target/pyenv-swift/bin/python
export VERDICT_PYTHON VERDICT_SWIFT_PYTHON
cargo test --workspace --all-targets "$@"
