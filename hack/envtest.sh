#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, etcd, kubectl) from source through the Go
# module proxy and caches it outside the repository. Prints the directory to use as
# KUBEBUILDER_ASSETS on stdout; progress goes to stderr.
#
# setup-envtest is not used: it downloads prebuilt binaries, which this project cannot rely on.
# A second call with the cache present returns at once.
#
# Versions are pinned here and nowhere else.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/crm-privacy-operator/k8s"
dest="${cache_root}/${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"

log() { printf 'envtest: %s\n' "$*" >&2; }

have_all() {
  [ -x "$dest/kube-apiserver" ] && [ -x "$dest/etcd" ] && [ -x "$dest/kubectl" ]
}

if have_all; then
  echo "$dest"
  exit 0
fi

command -v go >/dev/null || { log "go is not on PATH; install Go 1.26 first"; exit 1; }

mkdir -p "$cache_root"
work="$(mktemp -d "${cache_root}/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

staging_minor="v0${KUBERNETES_VERSION#v1}" # v1.36.3 -> v0.36.3
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/component-base/version/base.gitVersion=${KUBERNETES_VERSION}"
ldflags+=" -X k8s.io/component-base/version/base.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version/base.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"

build_kubernetes() {
  local mod="$work/kubernetes"
  mkdir -p "$mod"
  log "resolving k8s.io/kubernetes ${KUBERNETES_VERSION} (staging modules pinned to ${staging_minor})"
  (
    cd "$mod"
    go mod init envtest.local/kubernetes >/dev/null 2>&1
    # k8s.io/kubernetes points every staging module at ./staging; a dependent module must pin
    # each one to the published version instead. The list comes from its own go.mod.
    go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" >"$work/k8s.json"
    gomod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$work/k8s.json")"
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}' | sort -u >"$work/staging.txt"
    args=()
    while read -r m; do args+=("-replace=${m}=${m}@${staging_minor}"); done <"$work/staging.txt"
    go mod edit "${args[@]}"
    go mod edit -require="k8s.io/kubernetes@${KUBERNETES_VERSION}"
    cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    go mod tidy -e >/dev/null 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }
    log "building kube-apiserver and kubectl (several minutes on 2 cores)"
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/out/kubectl" k8s.io/kubernetes/cmd/kubectl
  )
}

build_etcd() {
  local mod="$work/etcd"
  mkdir -p "$mod"
  log "building etcd ${ETCD_VERSION}"
  (
    cd "$mod"
    go mod init envtest.local/etcd >/dev/null 2>&1
    go mod edit -require="go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    cat >tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    go mod tidy -e >/dev/null 2>"$work/tidy-etcd.log" || { cat "$work/tidy-etcd.log" >&2; exit 1; }
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/out/etcd" go.etcd.io/etcd/server/v3
  )
}

mkdir -p "$work/out"
build_etcd
build_kubernetes

mkdir -p "$dest"
for b in kube-apiserver etcd kubectl; do
  mv "$work/out/$b" "$dest/$b"
done
log "cached in $dest"
echo "$dest"
