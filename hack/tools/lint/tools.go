//go:build tools

// Package tools pins golangci-lint and kube-api-linter for `make lint`. They live in their own
// module so that golangci-lint's large dependency tree does not move the versions of the other
// tools. The binary is kube-api-linter's cmd/golangci-lint-kube-api-linter: golangci-lint (the
// version required below, selected by minimal version selection) with kube-api-linter compiled
// in as the module plugin "kubeapilinter" — what `golangci-lint custom` would build, without the
// git clone that command needs. Build: `go build -modfile=hack/tools/lint/go.mod`.
package tools

import (
	_ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
	_ "sigs.k8s.io/kube-api-linter/cmd/golangci-lint-kube-api-linter"
)
