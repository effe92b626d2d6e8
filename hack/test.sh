#!/usr/bin/env bash
# The project's test command: every test suite, with the services they need.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build output lives outside the checkout so fresh clones reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolesmith-target}"

echo "test: cargo test (unit, render, CLI, CRD)"
cargo test --locked --all-targets
