#!/usr/bin/env bash
# The demo: a local control plane and IAM server, the rolesmith controller, the example
# ServiceRoles, and the roles they became, as IAM stores them.
#   hack/demo.sh          run it; the stack stays up afterwards for exploring
#   hack/demo.sh --down   run it, then stop everything
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolesmith-target}"
say() { printf '\n== %s\n' "$*"; }

say "starting the local stack (kube-apiserver, etcd, moto)"
hack/stack-up.sh
# shellcheck source=/dev/null
source .stack/env

say "building rolesmith"
cargo build --locked --quiet --bin rolesmith
ROLESMITH="$CARGO_TARGET_DIR/debug/rolesmith"

say "creating the permissions boundary every role will carry"
python3 - <<'PY'
import boto3, botocore
iam = boto3.client("iam")
document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}'
try:
    iam.create_policy(PolicyName="rolesmith-demo-boundary", PolicyDocument=document,
                      Description="Caps what any rolesmith demo role can do")
except botocore.exceptions.ClientError as error:
    if error.response["Error"]["Code"] != "EntityAlreadyExists":
        raise
PY

say "starting the controller (log: .stack/logs/controller.log)"
"$ROLESMITH" controller \
  --cluster-name demo \
  --permissions-boundary 'arn:${Partition}:iam::${AccountId}:policy/rolesmith-demo-boundary' \
  --resync-seconds 30 > .stack/logs/controller.log 2>&1 &
CONTROLLER=$!
trap 'kill $CONTROLLER 2>/dev/null || true; wait $CONTROLLER 2>/dev/null || true' EXIT

say "applying examples/"
for namespace in $(grep -h '^  namespace:' examples/*.yaml | awk '{print $2}' | sort -u); do
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
done
kubectl apply -f examples/

say "waiting for every ServiceRole to be Ready"
kubectl wait --for=condition=Ready -f examples/ --timeout=120s
kubectl get -f examples/ -o wide

say "the roles, as stored in IAM"
role_names=$(kubectl get -f examples/ -o jsonpath='{range .items[*]}{.status.roleName}{"\n"}{end}')
# shellcheck disable=SC2086
"$ROLESMITH" describe-role $role_names | python3 -c '
import json, sys
for role in json.load(sys.stdin):
    principals = [s["Principal"] for s in role["trustPolicy"]["Statement"] if "Principal" in s]
    print("\n" + role["arn"])
    conditions = [s["Condition"] for s in role["trustPolicy"]["Statement"] if "Condition" in s]
    print("  trusted principal:    ", json.dumps(principals))
    if conditions:
        print("  trust conditions:     ", json.dumps(conditions))
    print("  permissions boundary: ", role["permissionsBoundary"])
    print("  managed policies:     ", ", ".join(role["managedPolicyArns"]) or "none")
    if role["instanceProfile"]:
        print("  instance profile:     ", role["instanceProfile"]["arn"])
    for name, document in role["inlinePolicies"].items():
        print("  inline policy %r:" % name)
        print("\n".join("    " + line for line in json.dumps(document, indent=2).splitlines()))
'

if [ "${1:-}" = "--down" ]; then
  say "stopping"
  kill "$CONTROLLER"; wait "$CONTROLLER" 2>/dev/null || true
  hack/stack-down.sh
else
  say "done; the stack is still up: 'source .stack/env' to explore, 'hack/stack-down.sh' to stop"
fi
