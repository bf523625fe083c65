#!/usr/bin/env bash
# Supply-chain check: govulncheck over every package of the module, against the Go
# vulnerability database pinned as a module in hack/tools/vuln/go.mod (golang.org/x/vulndb).
# The database is built once from that module's OSV files into the cache, so the check works
# without vuln.go.dev; bump the vulndb version in hack/tools/vuln/go.mod to refresh it.
# Exits non-zero when a vulnerable function is reachable from the project's code.
#
# The standard library is checked as of GO_RELEASE_TOOLCHAIN, the Go release the manager image
# is built with (Dockerfile): a local Go older than that would report fixed stdlib issues that
# the shipped binary does not have. The go command fetches that toolchain through the module
# proxy once (golang.org/toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."

GO_RELEASE_TOOLCHAIN="${GO_RELEASE_TOOLCHAIN:-go1.26.11}"

modfile=hack/tools/vuln/go.mod
bin="${LOCALBIN:-$PWD/bin}"
log() { printf 'vulncheck: %s\n' "$*" >&2; }

version="$(go list -modfile="$modfile" -m -f '{{.Version}}' golang.org/x/vulndb)"
src="$(go list -modfile="$modfile" -m -f '{{.Dir}}' golang.org/x/vulndb)"
if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
  go mod download -modfile="$modfile" golang.org/x/vulndb
  src="$(go list -modfile="$modfile" -m -f '{{.Dir}}' golang.org/x/vulndb)"
fi
db="${XDG_CACHE_HOME:-$HOME/.cache}/crm-privacy-operator/vulndb/${version}"

mkdir -p "$bin"
[ -x "$bin/govulncheck" ] || go build -modfile="$modfile" -o "$bin/govulncheck" golang.org/x/vuln/cmd/govulncheck
if [ ! -f "$db/index/db.json" ]; then
  [ -x "$bin/indexdb" ] || go build -modfile="$modfile" -o "$bin/indexdb" golang.org/x/vulndb/cmd/indexdb
  log "indexing the Go vulnerability database ${version} into ${db}"
  mkdir -p "${db%/*}"
  tmp="$(mktemp -d "${db%/*}/build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  "$bin/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
  rm -rf "$db" && mv "$tmp/db" "$db"
fi
log "database ${version}; scanning ./... with the standard library of ${GO_RELEASE_TOOLCHAIN}"
GOTOOLCHAIN="$GO_RELEASE_TOOLCHAIN" "$bin/govulncheck" -db "file://$db" ./...
