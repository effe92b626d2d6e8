#!/usr/bin/env bash
# Starts the test stack on free loopback ports: etcd + kube-apiserver (built from source, cached)
# and a moto server for IAM/STS. Reuses a running, healthy stack. Then: source .stack/env
#   hack/stack-up.sh              everything
#   hack/stack-up.sh --moto-only  only moto (tests that need IAM but no cluster)
# Env: STACK_DIR (default <repo>/.stack), STACK_APISERVER_TIMEOUT (default 180 s),
# STACK_CRD_DIR (default <repo>/crds; its *.yaml are applied), plus those of build-controlplane.sh.
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/stack-common.sh
source "$HACK/lib/stack-common.sh"

MODE=full
case "${1:-}" in
  "") ;;
  --moto-only) MODE=moto ;;
  *) echo "usage: $0 [--moto-only]" >&2; exit 2 ;;
esac

APISERVER_TIMEOUT="${STACK_APISERVER_TIMEOUT:-180}"
MOTO_VERSION=5.2.1
KUBECTL="${KUBECTL:-kubectl}"
CRD_DIR="${STACK_CRD_DIR:-$REPO/crds}"

mkdir -p "$STACK_LOGS" "$STACK_PIDS"
# One stack-up at a time per stack directory.
exec 8>"$STACK_DIR/.lock"
if command -v flock >/dev/null && ! flock -n 8; then
  log "waiting for another stack-up on $STACK_DIR"
  flock 8
fi

# On failure stop what this run started, so a retry starts clean; logs stay for reading.
STARTED=()
on_exit() {
  local rc=$? i
  if [ "$rc" -ne 0 ] && [ "${#STARTED[@]}" -gt 0 ]; then
    log "failed; stopping ${STARTED[*]} (logs in $STACK_LOGS)"
    # Reverse start order: the apiserver shuts down slowly once its etcd is gone.
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_service "${STARTED[i]}" 10 || true; done
  fi
}
trap on_exit EXIT

ensure_moto_installed() {
  if command -v moto_server > /dev/null; then
    MOTO_CMD=(moto_server)
    return
  fi
  if ! python3 -c 'import moto.server, flask' 2> /dev/null; then
    log "installing moto[server]==$MOTO_VERSION"
    python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2
  fi
  # A fresh console script may not be on PATH yet (e.g. version-manager shims); the module works.
  if command -v moto_server > /dev/null; then MOTO_CMD=(moto_server); else MOTO_CMD=(python3 -m moto.server); fi
}

start_moto() {
  if moto_healthy; then
    log "moto already running on port $(port_of moto)"
    return
  fi
  stop_service moto
  ensure_moto_installed
  local port; port="$(free_ports 1)"
  echo "$port" > "$STACK_PIDS/moto.port"
  log "starting moto on 127.0.0.1:$port"
  # Managed policies let tests attach arn:aws:iam::aws:policy/... as on real AWS. The recording
  # (every request, one JSON line each) lets end-to-end tests count the controller's IAM calls.
  : > "$STACK_DIR/moto-recording.jsonl"
  MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_ENABLE_RECORDING=true \
    MOTO_RECORDER_FILEPATH="$STACK_DIR/moto-recording.jsonl" \
    start_service moto "${MOTO_CMD[@]}" -H 127.0.0.1 -p "$port"
  STARTED+=(moto)
}

# CA, apiserver serving cert, admin client cert (system:masters) and service-account key pair.
ensure_pki() {
  if [ -s "$STACK_PKI/sa.pub" ] && [ -s "$STACK_PKI/admin.crt" ] && [ -s "$STACK_PKI/serving.crt" ]; then
    return
  fi
  log "creating certificates in $STACK_PKI"
  rm -rf "$STACK_PKI"
  mkdir -p "$STACK_PKI"
  local d="$STACK_PKI"
  (
    cd "$d"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=rolesmith-test-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > serving.ext
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr -subj "/CN=localhost" 2> /dev/null
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile serving.ext -out serving.crt 2> /dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" > client.ext
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=rolesmith-admin" 2> /dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt 2> /dev/null
    openssl genrsa -out sa.key 2048 2> /dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2> /dev/null
    rm -f ./*.csr ./*.ext ca.srl
    chmod 0644 ./*.crt sa.pub
  )
}

write_kubeconfig() {
  local port="$1" tmp="$KUBECONFIG_FILE.tmp"
  # Data inlined so the file works from any working directory and for every client.
  cat > "$tmp" << EOF
apiVersion: v1
kind: Config
clusters:
- name: rolesmith
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(base64 -w0 < "$STACK_PKI/ca.crt")
users:
- name: rolesmith-admin
  user:
    client-certificate-data: $(base64 -w0 < "$STACK_PKI/admin.crt")
    client-key-data: $(base64 -w0 < "$STACK_PKI/admin.key")
contexts:
- name: rolesmith
  context:
    cluster: rolesmith
    user: rolesmith-admin
current-context: rolesmith
EOF
  chmod 0600 "$tmp"
  mv -f "$tmp" "$KUBECONFIG_FILE"
}

start_kube() {
  if etcd_healthy && apiserver_healthy; then
    log "kube-apiserver already running on port $(port_of kube-apiserver)"
    return
  fi
  # Both go together: a new etcd means empty storage under a possibly running apiserver.
  stop_service kube-apiserver
  stop_service etcd

  local bins ETCD_BIN APISERVER_BIN K8S_VERSION ETCD_VERSION
  bins="$("$HACK/build-controlplane.sh" --print)"
  eval "$bins"
  ensure_pki

  local ports etcd_port peer_port api_port
  ports="$(free_ports 3)"
  read -r etcd_port peer_port api_port <<< "$ports"

  # Fresh storage every start: tests expect an empty cluster.
  rm -rf "$STACK_DIR/etcd-data"
  echo "$etcd_port" > "$STACK_PIDS/etcd.port"
  log "starting etcd $ETCD_VERSION on 127.0.0.1:$etcd_port"
  # fsync is pointless for throwaway test data and slow on shared disks.
  start_service etcd "$ETCD_BIN" \
    --name=rolesmith \
    --data-dir="$STACK_DIR/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="rolesmith=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync \
    --log-level=warn
  STARTED+=(etcd)
  wait_for etcd 60 etcd_healthy
  log "etcd ready"

  echo "$api_port" > "$STACK_PIDS/kube-apiserver.port"
  write_kubeconfig "$api_port"
  mkdir -p "$STACK_DIR/apiserver"
  log "starting kube-apiserver $K8S_VERSION on 127.0.0.1:$api_port"
  # No controller-manager runs, so the ServiceAccount admission plugin (which waits for default
  # service accounts) is off. --advertise-address is needed where there is no default route, and
  # a loopback address is refused by the default (lease) endpoint reconciler, hence "none": the
  # `kubernetes` Service gets no endpoints, which nothing here uses.
  start_service kube-apiserver "$APISERVER_BIN" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --secure-port="$api_port" \
    --cert-dir="$STACK_DIR/apiserver" \
    --tls-cert-file="$STACK_PKI/serving.crt" \
    --tls-private-key-file="$STACK_PKI/serving.key" \
    --client-ca-file="$STACK_PKI/ca.crt" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true \
    --authorization-mode=RBAC \
    --disable-admission-plugins=ServiceAccount \
    --service-account-issuer="https://127.0.0.1:$api_port/" \
    --service-account-key-file="$STACK_PKI/sa.pub" \
    --service-account-signing-key-file="$STACK_PKI/sa.key"
  STARTED+=(kube-apiserver)
  log "waiting for kube-apiserver /readyz (up to ${APISERVER_TIMEOUT}s)"
  local start=$SECONDS
  wait_for kube-apiserver "$APISERVER_TIMEOUT" apiserver_healthy
  wait_for kube-apiserver 60 default_namespace_exists
  log "kube-apiserver ready in $((SECONDS - start)) s"
}

default_namespace_exists() { apiserver_get /api/v1/namespaces/default > /dev/null; }

apply_crds() {
  local files=()
  shopt -s nullglob
  files=("$CRD_DIR"/*.yaml)
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || return 0
  log "applying ${#files[@]} CRD file(s) from $CRD_DIR"
  local args=() f
  for f in "${files[@]}"; do args+=(-f "$f"); done
  "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" apply --server-side --force-conflicts "${args[@]}" >&2
  "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" wait --for=condition=Established --timeout=60s "${args[@]}" >&2
}

write_env() {
  local moto_url tmp="$STACK_ENV.tmp"
  moto_url="http://127.0.0.1:$(port_of moto)"
  {
    echo "# Written by hack/stack-up.sh; removed by hack/stack-down.sh."
    # A cluster left running by an earlier full stack-up stays usable after --moto-only.
    if [ "$MODE" = full ] || apiserver_healthy; then
      echo "export KUBECONFIG='$KUBECONFIG_FILE'"
      echo "export ROLESMITH_STACK=1"
    fi
    echo "export AWS_ENDPOINT_URL_IAM='$moto_url'"
    echo "export ROLESMITH_MOTO_RECORDING='$STACK_DIR/moto-recording.jsonl'"
    echo "export AWS_ENDPOINT_URL_STS='$moto_url'"
    echo "export AWS_ACCESS_KEY_ID=testing"
    echo "export AWS_SECRET_ACCESS_KEY=testing"
    echo "export AWS_REGION=us-east-1"
    # The aws CLI and older SDKs read this name instead.
    echo "export AWS_DEFAULT_REGION=us-east-1"
  } > "$tmp"
  mv -f "$tmp" "$STACK_ENV"
}

START=$SECONDS
start_moto
if [ "$MODE" = full ]; then start_kube; fi
wait_for moto 60 moto_healthy
if [ "$MODE" = full ]; then apply_crds; fi
write_env
log "ready in $((SECONDS - START)) s: source $STACK_ENV"
