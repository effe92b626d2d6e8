#!/usr/bin/env bash
# Checks the Helm chart in charts/rolesmith and prints one PASS, FAIL or SKIP line per check;
# exits non-zero when any check fails.
#
#   hack/check-chart.sh               run the checks
#   hack/check-chart.sh --update-crd  regenerate charts/rolesmith/templates/crd.yaml from
#                                     crds/servicerole.yaml (run after `rolesmith crd` changes it)
#
# Offline it lints the chart, checks that its CRD is generated from crds/servicerole.yaml, renders
# it with several value sets and checks what comes out, and checks that it refuses to render
# without a permissions boundary. With KUBECONFIG set (e.g. after `source .stack/env`) it also:
# dry-runs every rendered value set on the server; installs the CRD (only if the cluster lacks
# it) and the RBAC for real in throwaway namespaces; asks `kubectl auth can-i`, as the
# controller's service account, for everything the controller does and for things it must not
# do; and deletes what it created. A CRD that existed before is left as it was.
#
# Env: HELM (a helm binary to use instead of building one with hack/build-helm.sh), KUBECTL
# (default kubectl), plus those of hack/build-helm.sh.
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HACK/.." && pwd)"
CHART="$REPO/charts/rolesmith"
CRD_SOURCE="$REPO/crds/servicerole.yaml"
CRD_TEMPLATE="$CHART/templates/crd.yaml"
CRD_NAME=serviceroles.rolesmith.dev
KUBECTL="${KUBECTL:-kubectl}"

log() { echo "check-chart: $*" >&2; }

# The chart's CRD template: crds/servicerole.yaml behind crds.install, with the keep policy and
# the chart's labels added to its metadata. Nothing else changes, so the check can regenerate
# it and compare.
generate_crd_template() {
  if grep -q '{{\|}}' "$CRD_SOURCE"; then
    log "$CRD_SOURCE contains '{{' or '}}', which helm would read as template actions"
    return 1
  fi
  # The metadata block must not already have annotations or labels: they would be duplicated.
  if awk '/^metadata:/ {m = 1; next} /^[^ ]/ {m = 0} m && /^  (annotations|labels):/ {found = 1}
          END {exit !found}' "$CRD_SOURCE"; then
    log "$CRD_SOURCE already has metadata annotations or labels; teach generate_crd_template to merge them"
    return 1
  fi
  echo '{{- if .Values.crds.install }}'
  echo '# Generated from crds/servicerole.yaml by hack/check-chart.sh --update-crd; do not edit.'
  echo '# Kept when the release is uninstalled, so that the ServiceRoles are not deleted with it.'
  awk '
    { print }
    /^metadata:$/ && !done {
      print "  annotations:"
      print "    helm.sh/resource-policy: keep"
      print "  labels:"
      print "    {{- include \"rolesmith.labels\" . | nindent 4 }}"
      done = 1
    }
    END { if (!done) exit 1 }
  ' "$CRD_SOURCE"
  echo '{{- end }}'
}

if [ "${1:-}" = "--update-crd" ]; then
  tmp="$(mktemp)"
  if ! generate_crd_template > "$tmp"; then rm -f "$tmp"; exit 1; fi
  mv -f "$tmp" "$CRD_TEMPLATE"
  log "wrote ${CRD_TEMPLATE#"$REPO"/}"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rolesmith-chart.XXXXXX")"
FAILED=0
PASSED=0
SKIPPED=0
CLEANUP=() # commands run on exit, last first

cleanup() {
  local i
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUP[i]}" || log "cleanup step failed: ${CLEANUP[i]}"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS  $1"; PASSED=$((PASSED + 1)); }
skip() { echo "SKIP  $1${2:+ ($2)}"; SKIPPED=$((SKIPPED + 1)); }
fail() { echo "FAIL  $1${2:+ ($2)}"; FAILED=$((FAILED + 1)); }

# check NAME COMMAND...: runs COMMAND with errexit in a subshell; its output is shown only when
# it fails.
check() {
  local name="$1" rc
  shift
  set +e
  (set -e; "$@") > "$WORK/check.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    pass "$name"
  else
    fail "$name"
    sed 's/^/      | /' "$WORK/check.out" | tail -n 40
  fi
}

# ---- assertions on rendered manifests -------------------------------------------------------

count_kind() { grep -c "^kind: $2\$" "$1" || true; }

expect_kind() { # file kind count
  local got
  got="$(count_kind "$1" "$2")"
  [ "$got" = "$3" ] || { echo "expected $3 object(s) of kind $2, rendered $got"; return 1; }
}

# The value of container env var NAME, as rendered (quoted), or nothing.
env_value() { # file name
  awk -v n="$2" '$0 ~ "^ *- name: " n "$" {getline; sub(/^ *value: /, ""); print; exit}' "$1"
}

expect_env() { # file name value
  local got
  got="$(env_value "$1" "$2")"
  [ "$got" = "\"$3\"" ] || { echo "expected env $2=\"$3\", rendered '${got}'"; return 1; }
}

expect_no_env() { # file name
  ! grep -q "^ *- name: $2\$" "$1" || { echo "env $2 is set but should not be"; return 1; }
}

expect_line() { # file extended-regexp
  grep -Eq -- "$2" "$1" || { echo "no line matches: $2"; return 1; }
}

expect_no_line() { # file extended-regexp
  ! grep -Eq -- "$2" "$1" || { echo "a line matches but should not: $2"; grep -En -- "$2" "$1"; return 1; }
}

# ---- helm ----------------------------------------------------------------------------------

if [ -n "${HELM:-}" ]; then
  [ -x "$HELM" ] || { fail "helm available" "HELM=$HELM is not executable"; exit 1; }
  pass "helm available: $HELM"
elif "$HACK/build-helm.sh" --print > "$WORK/helm.env" 2> "$WORK/helm.log"; then
  HELM="$(sed -n 's/^HELM_BIN=//p' "$WORK/helm.env")"
  pass "helm available: $("$HELM" version --short 2>/dev/null || echo "$HELM")"
else
  fail "helm available" "hack/build-helm.sh failed"
  sed 's/^/      | /' "$WORK/helm.log"
  exit 1
fi

helm_template() { # release namespace helm-args...
  local release="$1" namespace="$2"
  shift 2
  "$HELM" template "$release" "$CHART" --namespace "$namespace" "$@"
}

BOUNDARY='arn:${Partition}:iam::${AccountId}:policy/rolesmith-boundary'
ACCOUNT=111122223333
IRSA_ROLE="arn:aws:iam::$ACCOUNT:role/rolesmith-controller"

# Value sets. Each is checked offline and, with a cluster, dry-run there.
ALL_NAMESPACES=(--set-string "permissionsBoundary=$BOUNDARY")
NAMESPACE_LIST=(--set-string "permissionsBoundary=$BOUNDARY" --set "namespaces={team-a,team-b}")
UNBOUNDED=(
  --set allowUnboundedRoles=true
  --set-string "accountId=$ACCOUNT"
  --set region=us-east-1
  --set iamEndpoint=https://iam.example.test
  --set stsEndpoint=https://sts.example.test
  --set logFormat=json
  --set limits.maxManagedPolicies=20
  --set crds.install=false
  --set-string "serviceAccount.annotations.eks\.amazonaws\.com/role-arn=$IRSA_ROLE"
)

# ---- offline checks ------------------------------------------------------------------------

crd_template_is_generated() {
  generate_crd_template > "$WORK/crd.expected"
  diff -u "$WORK/crd.expected" "$CRD_TEMPLATE" ||
    { echo "charts/rolesmith/templates/crd.yaml is stale: run hack/check-chart.sh --update-crd"; return 1; }
}
check "chart CRD is generated from crds/servicerole.yaml" crd_template_is_generated

# The rendered CRD, less what the chart adds to its metadata, must be crds/servicerole.yaml.
crd_renders_to_source() {
  helm_template rolesmith rolesmith "${ALL_NAMESPACES[@]}" --show-only templates/crd.yaml \
    > "$WORK/crd.rendered"
  python3 - "$WORK/crd.rendered" "$CRD_SOURCE" <<'EOF'
import sys
import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert len(docs) == 1, f"expected one rendered document, got {len(docs)}"
chart, source = docs[0], yaml.safe_load(open(sys.argv[2]))
meta = chart["metadata"]
annotations = meta.pop("annotations", None)
assert annotations == {"helm.sh/resource-policy": "keep"}, f"annotations: {annotations}"
labels = meta.pop("labels", {})
assert labels.get("app.kubernetes.io/managed-by") == "Helm", f"labels: {labels}"
if chart != source:
    print("rendered CRD differs from crds/servicerole.yaml")
    sys.exit(1)
EOF
}
if command -v python3 > /dev/null && python3 -c 'import yaml' 2> /dev/null; then
  check "chart CRD renders to crds/servicerole.yaml plus keep policy and labels" crd_renders_to_source
else
  skip "chart CRD renders to crds/servicerole.yaml" "needs python3 with PyYAML"
fi

check "helm lint --strict (all namespaces)" "$HELM" lint --strict "$CHART" "${ALL_NAMESPACES[@]}"
check "helm lint --strict (namespaces list)" "$HELM" lint --strict "$CHART" "${NAMESPACE_LIST[@]}"
check "helm lint --strict (allowUnboundedRoles)" "$HELM" lint --strict "$CHART" "${UNBOUNDED[@]}"

common_expectations() { # file
  local f="$1"
  expect_kind "$f" Deployment 1
  expect_kind "$f" ServiceAccount 1
  expect_line "$f" '^    type: Recreate$'
  expect_line "$f" '^          image: "rolesmith:0\.1\.0"$'
  expect_line "$f" '^            - controller$'
  expect_line "$f" 'fieldPath: metadata\.name$'
  expect_line "$f" '^      serviceAccountName: rolesmith$'
  expect_line "$f" '^            readOnlyRootFilesystem: true$'
  expect_line "$f" '^            allowPrivilegeEscalation: false$'
  expect_line "$f" '^            runAsUser: 65532$'
  expect_line "$f" '^              - ALL$'
  expect_line "$f" '^              type: RuntimeDefault$'
  # Probes on the controller's health endpoint.
  expect_env "$f" ROLESMITH_HEALTH_ADDRESS "0.0.0.0:8080"
  expect_line "$f" '^          livenessProbe:$'
  expect_line "$f" '^              path: /healthz$'
  expect_line "$f" '^          readinessProbe:$'
  expect_line "$f" '^              path: /readyz$'
}

RBAC_TEMPLATES=(--show-only templates/clusterrole.yaml --show-only templates/clusterrolebinding.yaml)

# Least privilege: no wildcard, and nothing beyond the controller's own resources and events.
rbac_expectations() { # helm-args...
  local f="$WORK/rbac.yaml"
  helm_template rolesmith rolesmith "$@" --show-only templates/clusterrole.yaml | grep -v '^#' > "$f"
  expect_no_line "$f" '\*'
  expect_no_line "$f" '(secrets|configmaps|pods|namespaces|customresourcedefinitions|delete|deletecollection|escalate|bind|impersonate|"get", "list", "watch", "create")'
  expect_line "$f" '^    resources: \["serviceroles"\]$'
  expect_line "$f" '^    resources: \["serviceroles/status"\]$'
  expect_line "$f" '^    resources: \["serviceroles/finalizers"\]$'
  expect_line "$f" '^    verbs: \["update"\]$'
  [ "$(grep -c '^    verbs: \["create", "patch"\]$' "$f")" -ge 2 ] || { echo "events: expected create and patch in two API groups"; return 1; }
}

template_all_namespaces() {
  local f="$WORK/all.yaml"
  helm_template rolesmith rolesmith "${ALL_NAMESPACES[@]}" > "$f"
  common_expectations "$f"
  expect_kind "$f" CustomResourceDefinition 1
  expect_kind "$f" ClusterRole 1
  expect_kind "$f" ClusterRoleBinding 1
  expect_kind "$f" Role 0
  expect_kind "$f" RoleBinding 0
  expect_line "$f" '^    helm\.sh/resource-policy: keep$'
  expect_env "$f" ROLESMITH_PERMISSIONS_BOUNDARY "$BOUNDARY"
  expect_env "$f" ROLESMITH_RESYNC_SECONDS 600
  expect_env "$f" ROLESMITH_CONCURRENCY 4
  expect_env "$f" ROLESMITH_ROLE_PATH_PREFIX /rolesmith/
  expect_no_env "$f" ROLESMITH_NAMESPACES
  expect_no_env "$f" ROLESMITH_ALLOW_UNBOUNDED_ROLES
  expect_no_env "$f" ROLESMITH_ACCOUNT_ID
  expect_no_env "$f" AWS_REGION
  rbac_expectations "${ALL_NAMESPACES[@]}"
}
check "helm template: all namespaces (ClusterRole, CRD, boundary)" template_all_namespaces

template_namespace_list() {
  local f="$WORK/list.yaml"
  helm_template rolesmith rolesmith "${NAMESPACE_LIST[@]}" > "$f"
  common_expectations "$f"
  expect_kind "$f" ClusterRole 0
  expect_kind "$f" ClusterRoleBinding 0
  expect_kind "$f" Role 2
  expect_kind "$f" RoleBinding 2
  [ "$(grep -c '^  namespace: team-a$' "$f")" = 2 ] || { echo "expected a Role and a RoleBinding in team-a"; return 1; }
  [ "$(grep -c '^  namespace: team-b$' "$f")" = 2 ] || { echo "expected a Role and a RoleBinding in team-b"; return 1; }
  expect_env "$f" ROLESMITH_NAMESPACES team-a,team-b
  rbac_expectations "${NAMESPACE_LIST[@]}"
}
check "helm template: namespaces list (a Role and RoleBinding per namespace)" template_namespace_list

template_unbounded() {
  local f="$WORK/unbounded.yaml"
  helm_template rolesmith rolesmith "${UNBOUNDED[@]}" > "$f"
  common_expectations "$f"
  expect_kind "$f" CustomResourceDefinition 0
  expect_kind "$f" ClusterRole 1
  expect_env "$f" ROLESMITH_ALLOW_UNBOUNDED_ROLES true
  expect_no_env "$f" ROLESMITH_PERMISSIONS_BOUNDARY
  expect_env "$f" ROLESMITH_ACCOUNT_ID "$ACCOUNT"
  expect_env "$f" ROLESMITH_LOG_FORMAT json
  expect_env "$f" ROLESMITH_MAX_MANAGED_POLICIES 20
  expect_no_env "$f" ROLESMITH_MAX_TRUST_POLICY_SIZE
  expect_env "$f" AWS_REGION us-east-1
  expect_env "$f" AWS_ENDPOINT_URL_IAM https://iam.example.test
  expect_env "$f" AWS_ENDPOINT_URL_STS https://sts.example.test
  expect_line "$f" "^    eks\\.amazonaws\\.com/role-arn: $IRSA_ROLE\$"
}
check "helm template: allowUnboundedRoles, crds.install=false, IRSA annotation" template_unbounded

# Without a boundary the chart must refuse to render: the schema says so first, and the
# template's own check says so when schema validation is skipped.
FAIL_MESSAGE='rolesmith: set permissionsBoundary to the ARN of the permissions boundary policy'
refuses_without_boundary() {
  if helm_template rolesmith rolesmith > "$WORK/none.out" 2>&1; then
    echo "rendered without a permissions boundary"; return 1
  fi
  grep -q "'/permissionsBoundary'" "$WORK/none.out" && grep -q "'/allowUnboundedRoles'" "$WORK/none.out" ||
    { echo "the schema error does not name permissionsBoundary and allowUnboundedRoles:"; cat "$WORK/none.out"; return 1; }
  if helm_template rolesmith rolesmith --skip-schema-validation > "$WORK/none.out" 2>&1; then
    echo "rendered without a permissions boundary when schema validation is skipped"; return 1
  fi
  grep -qF "$FAIL_MESSAGE" "$WORK/none.out" ||
    { echo "expected the message '$FAIL_MESSAGE...', got:"; cat "$WORK/none.out"; return 1; }
  # An explicit false is no different from leaving it out.
  ! helm_template rolesmith rolesmith --set allowUnboundedRoles=false --set permissionsBoundary= \
    > /dev/null 2>&1 || { echo "rendered with an empty boundary"; return 1; }
}
check "helm template refuses to render without a permissions boundary" refuses_without_boundary

refuses_bad_values() {
  local bad
  for bad in replicaCount=2 partition=aws-moon accountId=12345 rolePathPrefix=no-slash \
             'namespaces={Team_A}' logFormat=xml resyncSeconds=0 unknownKey=1; do
    if helm_template rolesmith rolesmith "${ALL_NAMESPACES[@]}" --set "$bad" > /dev/null 2>&1; then
      echo "rendered with $bad"; return 1
    fi
  done
  # The template's own check holds without the schema too.
  ! helm_template rolesmith rolesmith "${ALL_NAMESPACES[@]}" --set replicaCount=2 \
    --skip-schema-validation > /dev/null 2>&1 || { echo "rendered 2 replicas without schema"; return 1; }
}
check "values schema refuses bad values (replicaCount 2, partition, account id, ...)" refuses_bad_values

# ---- cluster checks ------------------------------------------------------------------------

if [ -z "${KUBECONFIG:-}" ]; then
  skip "cluster checks" "KUBECONFIG is not set; e.g. hack/stack-up.sh && source .stack/env"
elif ! "$KUBECTL" get --raw /readyz > /dev/null 2> "$WORK/readyz.err"; then
  fail "cluster reachable" "$(tail -n 1 "$WORK/readyz.err")"
else
  pass "cluster reachable: $("$KUBECTL" version 2>/dev/null | sed -n 's/^Server Version: //p')"

  SUFFIX="$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
  NS="rolesmith-chart-$SUFFIX"       # the release namespace
  NS_A="$NS-a"                       # watched namespaces of the namespaces-list install
  NS_B="$NS-b"
  OTHER="$NS-other"                  # a namespace the namespaces-list install must not reach
  CLUSTER_NAME="rolesmith-chart-$SUFFIX" # fullnameOverride of the all-namespaces install

  if "$KUBECTL" get crd "$CRD_NAME" > /dev/null 2>&1; then CRD_EXISTED=1; else CRD_EXISTED=0; fi

  # Deleting a namespace needs the namespace controller of kube-controller-manager, which a
  # bare API server lacks. Everything the checks create in a namespace is deleted first, so a
  # namespace still terminating after that is empty and its finalizer can be dropped.
  delete_namespaces() { # name...
    local ns left i
    for ns in "$@"; do
      "$KUBECTL" delete namespace "$ns" --ignore-not-found --wait=false > /dev/null 2>&1 || true
    done
    for ((i = 0; i < 15; i++)); do
      left=()
      for ns in "$@"; do
        if "$KUBECTL" get namespace "$ns" > /dev/null 2>&1; then left+=("$ns"); fi
      done
      [ "${#left[@]}" -gt 0 ] || return 0
      sleep 1
    done
    for ns in "${left[@]}"; do
      log "namespace $ns is still terminating (no namespace controller?); finalizing it"
      printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"},"spec":{"finalizers":[]}}' "$ns" |
        "$KUBECTL" replace --raw "/api/v1/namespaces/$ns/finalize" -f - > /dev/null
    done
  }

  create_namespaces() {
    local ns
    for ns in "$NS" "$NS_A" "$NS_B" "$OTHER"; do
      "$KUBECTL" create namespace "$ns" > /dev/null
    done
    # The release namespace enforces the restricted Pod Security Standard, and warns about it
    # for workloads such as the Deployment.
    "$KUBECTL" label namespace "$NS" > /dev/null \
      pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted
  }
  CLEANUP+=("delete_namespaces $NS $NS_A $NS_B $OTHER")
  check "create throwaway namespaces $NS{,-a,-b,-other}" create_namespaces

  # Value sets as installed here: unique cluster-scoped names, real watched namespaces.
  CLUSTER_SET=("${ALL_NAMESPACES[@]}" --set "fullnameOverride=$CLUSTER_NAME")
  LIST_SET=(--set-string "permissionsBoundary=$BOUNDARY" --set "namespaces={$NS_A,$NS_B}")
  UNBOUNDED_SET=("${UNBOUNDED[@]}" --set "fullnameOverride=$CLUSTER_NAME")

  dry_run() { # helm-args...
    helm_template rolesmith "$NS" "$@" > "$WORK/dry.yaml"
    "$KUBECTL" apply --dry-run=server -f "$WORK/dry.yaml" > "$WORK/dry.out" 2>&1 ||
      { cat "$WORK/dry.out"; return 1; }
    cat "$WORK/dry.out"
    ! grep -q 'would violate PodSecurity' "$WORK/dry.out" ||
      { echo "the pod template breaks the restricted Pod Security Standard"; return 1; }
  }
  check "server dry-run: all namespaces" dry_run "${CLUSTER_SET[@]}"
  check "server dry-run: namespaces list" dry_run "${LIST_SET[@]}"
  check "server dry-run: allowUnboundedRoles" dry_run "${UNBOUNDED_SET[@]}"

  install_crd() {
    helm_template rolesmith "$NS" "${ALL_NAMESPACES[@]}" --show-only templates/crd.yaml |
      "$KUBECTL" apply -f -
    "$KUBECTL" wait --for=condition=Established --timeout=60s "crd/$CRD_NAME"
  }
  if [ "$CRD_EXISTED" = 1 ]; then
    skip "install the chart's CRD for real" "$CRD_NAME already exists; left untouched"
  else
    CLEANUP+=("$KUBECTL delete crd $CRD_NAME --ignore-not-found --wait=false > /dev/null")
    check "install the chart's CRD for real" install_crd
  fi

  RBAC_TEMPLATES+=(--show-only templates/serviceaccount.yaml)

  # can SUBJECT-NAMESPACE SA EXPECT(yes|no) VERB RESOURCE [kubectl-args...]
  can() {
    local sa_ns="$1" sa="$2" expect="$3" verb="$4" resource="$5" got
    shift 5
    if "$KUBECTL" auth can-i "$verb" "$resource" "$@" --quiet \
         --as="system:serviceaccount:$sa_ns:$sa" --as-group=system:serviceaccounts \
         --as-group="system:serviceaccounts:$sa_ns" --as-group=system:authenticated 2>/dev/null; then
      got=yes
    else
      got=no
    fi
    if [ "$got" = "$expect" ]; then
      echo "ok: can-i $verb $resource $* -> $got"
    else
      echo "WRONG: can-i $verb $resource $* -> $got, want $expect"
      return 1
    fi
  }

  # What the controller does, in namespace $1, as $2 in $NS.
  can_do_its_job() { # namespace sa
    local ns="$1" sa="$2" ok=0 v
    for v in get list watch patch update; do can "$NS" "$sa" yes "$v" serviceroles.rolesmith.dev -n "$ns" || ok=1; done
    for v in get patch update; do
      can "$NS" "$sa" yes "$v" serviceroles.rolesmith.dev --subresource=status -n "$ns" || ok=1
    done
    can "$NS" "$sa" yes update serviceroles.rolesmith.dev --subresource=finalizers -n "$ns" || ok=1
    for v in create patch; do
      can "$NS" "$sa" yes "$v" events.events.k8s.io -n "$ns" || ok=1
      can "$NS" "$sa" yes "$v" events -n "$ns" || ok=1
    done
    return "$ok"
  }

  # What it has no business doing, in namespace $1.
  cannot_do_more() { # namespace sa
    local ns="$1" sa="$2" ok=0
    can "$NS" "$sa" no get secrets -n "$ns" || ok=1
    can "$NS" "$sa" no list secrets -n "$ns" || ok=1
    can "$NS" "$sa" no get configmaps -n "$ns" || ok=1
    can "$NS" "$sa" no create pods -n "$ns" || ok=1
    can "$NS" "$sa" no create serviceroles.rolesmith.dev -n "$ns" || ok=1
    can "$NS" "$sa" no delete serviceroles.rolesmith.dev -n "$ns" || ok=1
    can "$NS" "$sa" no delete events.events.k8s.io -n "$ns" || ok=1
    can "$NS" "$sa" no list events -n "$ns" || ok=1
    can "$NS" "$sa" no create serviceaccounts --subresource=token -n "$ns" || ok=1
    can "$NS" "$sa" no update customresourcedefinitions.apiextensions.k8s.io || ok=1
    can "$NS" "$sa" no list namespaces || ok=1
    can "$NS" "$sa" no bind clusterroles.rbac.authorization.k8s.io || ok=1
    can "$NS" "$sa" no escalate roles.rbac.authorization.k8s.io -n "$ns" || ok=1
    can "$NS" "$sa" no impersonate serviceaccounts -n "$ns" || ok=1
    return "$ok"
  }

  # All namespaces: ClusterRole and ClusterRoleBinding under unique names.
  CLEANUP+=("$KUBECTL delete clusterrolebinding,clusterrole $CLUSTER_NAME --ignore-not-found > /dev/null")
  CLEANUP+=("$KUBECTL delete serviceaccount $CLUSTER_NAME -n $NS --ignore-not-found > /dev/null")
  install_cluster_rbac() {
    helm_template rolesmith "$NS" "${CLUSTER_SET[@]}" "${RBAC_TEMPLATES[@]}" | "$KUBECTL" apply -f -
  }
  check "install RBAC for real: all namespaces (ClusterRole $CLUSTER_NAME)" install_cluster_rbac

  cluster_rbac_grants() {
    local ok=0
    can_do_its_job "$NS_A" "$CLUSTER_NAME" || ok=1
    can_do_its_job "$OTHER" "$CLUSTER_NAME" || ok=1
    can "$NS" "$CLUSTER_NAME" yes list serviceroles.rolesmith.dev --all-namespaces || ok=1
    can "$NS" "$CLUSTER_NAME" yes watch serviceroles.rolesmith.dev --all-namespaces || ok=1
    return "$ok"
  }
  check "RBAC (all namespaces) grants what the controller does, everywhere" cluster_rbac_grants

  cluster_rbac_denies() {
    local ok=0
    cannot_do_more "$NS_A" "$CLUSTER_NAME" || ok=1
    can "$NS" "$CLUSTER_NAME" no list secrets --all-namespaces || ok=1
    return "$ok"
  }
  check "RBAC (all namespaces) denies secrets, deletes, CRDs, RBAC and more" cluster_rbac_denies

  # Namespaces list: a Role and RoleBinding in each watched namespace, nothing cluster-wide.
  CLEANUP+=("$KUBECTL delete rolebinding,role rolesmith -n $NS_A --ignore-not-found > /dev/null")
  CLEANUP+=("$KUBECTL delete rolebinding,role rolesmith -n $NS_B --ignore-not-found > /dev/null")
  CLEANUP+=("$KUBECTL delete serviceaccount rolesmith -n $NS --ignore-not-found > /dev/null")
  install_list_rbac() {
    helm_template rolesmith "$NS" "${LIST_SET[@]}" "${RBAC_TEMPLATES[@]}" | "$KUBECTL" apply -f -
  }
  check "install RBAC for real: namespaces list ($NS_A, $NS_B)" install_list_rbac

  list_rbac_grants() {
    local ok=0
    can_do_its_job "$NS_A" rolesmith || ok=1
    can_do_its_job "$NS_B" rolesmith || ok=1
    return "$ok"
  }
  check "RBAC (namespaces list) grants what the controller does in $NS_A and $NS_B" list_rbac_grants

  list_rbac_denies() {
    local ok=0 v
    cannot_do_more "$NS_A" rolesmith || ok=1
    for v in get list watch patch; do can "$NS" rolesmith no "$v" serviceroles.rolesmith.dev -n "$OTHER" || ok=1; done
    can "$NS" rolesmith no patch serviceroles.rolesmith.dev --subresource=status -n "$OTHER" || ok=1
    can "$NS" rolesmith no create events.events.k8s.io -n "$OTHER" || ok=1
    can "$NS" rolesmith no list serviceroles.rolesmith.dev --all-namespaces || ok=1
    return "$ok"
  }
  check "RBAC (namespaces list) denies other namespaces, cluster-wide lists and more" list_rbac_denies
fi

echo "check-chart: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
