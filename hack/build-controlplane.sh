#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the wrapper modules in hack/controlplane/ into a
# version-keyed cache outside the checkout (CI clones afresh; the cache survives).
# Prints the path of each binary's directory as KEY=PATH lines on stdout when --print is given.
#
# Env: ROLESMITH_CACHE (default ~/.cache/rolesmith), GO_BUILD_PARALLEL (go build -p, default 2).
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPERS="$HACK/controlplane"
CACHE="${ROLESMITH_CACHE:-$HOME/.cache/rolesmith}/controlplane"
PARALLEL="${GO_BUILD_PARALLEL:-2}"

log() { echo "stack: $*" >&2; }

# Versions come from the committed wrapper go.mod files, so they are the single source of truth.
required_version() { # go.mod module-path
  awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$1"
}
K8S_VERSION="$(required_version "$WRAPPERS/apiserver/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(required_version "$WRAPPERS/etcd/go.mod" go.etcd.io/etcd/server/v3)"
if [ -z "$K8S_VERSION" ] || [ -z "$ETCD_VERSION" ]; then
  log "cannot read versions from $WRAPPERS/*/go.mod" && exit 1
fi

APISERVER_BIN="$CACHE/kube-apiserver-$K8S_VERSION/kube-apiserver"
ETCD_BIN="$CACHE/etcd-$ETCD_VERSION/etcd"

go_build() { # module-dir package output [ldflags]
  local dir="$1" pkg="$2" out="$3" ldflags="${4:-}"
  local tmp
  mkdir -p "$(dirname "$out")"
  tmp="$(mktemp "$out.tmp.XXXXXX")"
  # Lowest priority: builds share 2 cores with whatever else runs (cargo, tests).
  if ! (cd "$dir" && GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
        nice -n 19 go build -p "$PARALLEL" -trimpath -pgo=off -ldflags "-s -w $ldflags" -o "$tmp" "$pkg"); then
    rm -f "$tmp"
    return 1
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$out" # atomic: a half-written binary is never at the final path
}

need_go() {
  command -v go >/dev/null || { log "go is required to build the control plane" && exit 1; }
}

build_etcd() {
  [ -x "$ETCD_BIN" ] && { log "etcd $ETCD_VERSION cached at $ETCD_BIN"; return; }
  need_go
  log "building etcd $ETCD_VERSION (first run only, ~2 min)"
  local start=$SECONDS
  go_build "$WRAPPERS/etcd" go.etcd.io/etcd/server/v3 "$ETCD_BIN"
  log "built etcd $ETCD_VERSION in $((SECONDS - start)) s"
}

build_apiserver() {
  [ -x "$APISERVER_BIN" ] && { log "kube-apiserver $K8S_VERSION cached at $APISERVER_BIN"; return; }
  need_go
  log "building kube-apiserver $K8S_VERSION (first run only, ~8-15 min on 2 cores)"
  local start=$SECONDS major minor pkg=k8s.io/component-base/version
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  # Without these /version reports v0.0.0; the server works either way.
  go_build "$WRAPPERS/apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$APISERVER_BIN" \
    "-X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  log "built kube-apiserver $K8S_VERSION in $((SECONDS - start)) s"
}

mkdir -p "$CACHE"
# Serialise concurrent callers (e.g. two test runs) so each binary is built once.
exec 9>"$CACHE/.build.lock"
if command -v flock >/dev/null && ! flock -n 9; then
  log "waiting for another build of the control plane to finish"
  flock 9
fi
# Leftovers of an interrupted build; safe to remove while holding the lock.
rm -f "$CACHE"/*/*.tmp.*
build_etcd
build_apiserver

if [ "${1:-}" = "--print" ]; then
  echo "ETCD_BIN=$ETCD_BIN"
  echo "APISERVER_BIN=$APISERVER_BIN"
  echo "K8S_VERSION=$K8S_VERSION"
  echo "ETCD_VERSION=$ETCD_VERSION"
fi
