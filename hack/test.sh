#!/usr/bin/env bash
# The project's test command: every test suite, with the services they need.
#   hack/test.sh             all tests (unit, render, CLI, CRD, lint, IAM against moto, end to
#                            end against kube-apiserver, the Helm chart)
#   hack/test.sh ARGS...     cargo test with these targets instead, e.g. --test reconcile
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
# Benchmarks are not tests: they print figures (cargo bench --bench lint).
targets=(--lib --bins --tests)
if [ "$#" -gt 0 ]; then targets=("$@"); fi
cargo test --locked "${targets[@]}" -- --include-ignored

# The Helm chart: lint, render, server dry-run and real RBAC checks against the stack.
echo "test: Helm chart"
hack/check-chart.sh
