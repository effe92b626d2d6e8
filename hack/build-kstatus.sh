#!/usr/bin/env bash
# Builds the kstatus checker (hack/kstatus, on sigs.k8s.io/cli-utils) into a version-keyed cache
# outside the checkout and prints its path. A warm run only prints the path.
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="$(awk '$1 == "sigs.k8s.io/cli-utils" {print $2}' "$HACK/kstatus/go.mod")"
DIR="${ROLESMITH_CACHE:-$HOME/.cache/rolesmith}/tools/kstatus-$VERSION"
BIN="$DIR/kstatus"

# The source is part of the key too: a changed checker is rebuilt.
STAMP="$(cat "$HACK/kstatus/main.go" "$HACK/kstatus/go.sum" | sha256sum | cut -c1-12)"
if [ -x "$BIN" ] && [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$STAMP" ]; then
  echo "$BIN"
  exit 0
fi

echo "kstatus: building the checker with cli-utils $VERSION" >&2
mkdir -p "$DIR"
(
  cd "$HACK/kstatus"
  GOTOOLCHAIN=local CGO_ENABLED=0 go build -p "${GO_BUILD_PARALLEL:-2}" -trimpath -o "$BIN.tmp" .
)
mv -f "$BIN.tmp" "$BIN"
echo "$STAMP" > "$DIR/stamp"
echo "$BIN"
