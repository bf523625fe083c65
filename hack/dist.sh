#!/usr/bin/env bash
# Builds the release archives of the kubectl plugin: `make dist` runs it.
#
# Cross-builds kubectl-gdpr for every platform (static, CGO_ENABLED=0, -trimpath, the version
# stamped with -X main.version), packages each build as krew expects (a .tar.gz, a .zip for
# windows, the binary at the archive's root, with LICENSE when the repository has one),
# writes SHA256SUMS and renders the krew manifest hack/krew/gdpr.yaml.tmpl into
# $DIST_DIR/gdpr.yaml with each archive's URL and SHA-256 (hack/krew), then verifies the
# manifest against the archives and runs the build of this machine's platform.
#
#   VERSION            the plugin version: a semantic version with a leading v (krew requires it)
#   DIST_BASE_URL      the https URL the archives will be downloaded from (the release's)
#   DIST_DIR           the output directory (default: dist)
#   PLATFORMS          OS/ARCH pairs (default: linux, darwin and windows on amd64 and arm64)
#   SOURCE_DATE_EPOCH  the time stamped on archive entries (default: the last commit's), so
#                      that the same commit gives byte-identical archives
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:?set VERSION, e.g. VERSION=v0.3.0}"
: "${DIST_BASE_URL:?set DIST_BASE_URL, the https URL the archives will be downloaded from}"
DIST_DIR=${DIST_DIR:-dist}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

rm -rf "$DIST_DIR"
mkdir -p "$DIST_DIR/bin"
for platform in $PLATFORMS; do
  os=${platform%/*} arch=${platform#*/}
  exe=kubectl-gdpr
  [ "$os" = windows ] && exe=kubectl-gdpr.exe
  echo "building kubectl-gdpr $VERSION for $os/$arch"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION" \
    -o "$DIST_DIR/bin/${os}_${arch}/$exe" ./cmd/kubectl-gdpr
done

license=
[ -f LICENSE ] && license=LICENSE
krew_args=(-dist "$DIST_DIR" -version "$VERSION" -base-url "$DIST_BASE_URL" -platforms "$PLATFORMS")
go run ./hack/krew package "${krew_args[@]}" -template hack/krew/gdpr.yaml.tmpl -license "$license" -epoch "$SOURCE_DATE_EPOCH"
go run ./hack/krew verify "${krew_args[@]}"
(cd "$DIST_DIR" && sha256sum --check --quiet SHA256SUMS)

host="$DIST_DIR/bin/$(go env GOOS)_$(go env GOARCH)/kubectl-gdpr"
if [ -x "$host" ]; then
  got=$("$host" version)
  [ "$got" = "$VERSION" ] || { echo "$host version prints $got, want $VERSION" >&2; exit 1; }
fi

echo "dist: $DIST_DIR/gdpr.yaml (krew manifest), $DIST_DIR/SHA256SUMS and:"
ls -l "$DIST_DIR"/kubectl-gdpr_*
