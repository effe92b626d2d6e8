#!/usr/bin/env bash
# The project's test command: every test suite, with the services they need.
#   hack/test.sh             all tests (unit, render, CLI, CRD, IAM against moto, end to end)
#   hack/test.sh ARGS...     passed to cargo test, e.g. hack/test.sh --test reconcile
# The local stack (kube-apiserver + etcd + moto) is started if it is not running, and stopped
# again afterwards unless it was already running.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build output lives outside the checkout so fresh clones reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolesmith-target}"

started_here=false
if [ ! -f .stack/env ]; then
  started_here=true
fi
hack/stack-up.sh
if $started_here; then
  trap 'hack/stack-down.sh' EXIT
fi
# shellcheck source=/dev/null
source .stack/env

# AWS managed policies for the linter's false-alarm test (cached after the first fetch).
ROLESMITH_MANAGED_POLICIES="$(hack/fetch-managed-policies.sh)"
export ROLESMITH_MANAGED_POLICIES

echo "test: cargo test"
# End-to-end tests are marked ignored so a bare `cargo test` needs no stack; run them here.
cargo test --locked --all-targets "$@" -- --include-ignored
