#!/usr/bin/env bash
# Stops everything hack/stack-up.sh started (by pid file, whole process groups) and waits until
# it is gone. Safe to run when nothing is running. Logs and certificates stay in the stack dir.
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/stack-common.sh
source "$HACK/lib/stack-common.sh"

# A stack-up in progress would start services behind our back; wait for it.
exec 8>"$STACK_DIR/.lock"
if command -v flock >/dev/null; then flock 8; fi

# apiserver before etcd, so it does not spend its shutdown retrying a missing etcd.
for name in kube-apiserver etcd moto; do
  stop_service "$name"
done
rm -f "$STACK_ENV" "$KUBECONFIG_FILE"
rm -rf "$STACK_DIR/etcd-data"
log "stopped"
