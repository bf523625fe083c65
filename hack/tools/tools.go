//go:build tools

// Package tools pins the versions of the build tools the Makefile runs (controller-gen,
// crd-ref-docs, helm, golangci-lint, govulncheck). They build from the Go module proxy with
// `go build -modfile=hack/tools/go.mod`, so no tool is downloaded as a prebuilt binary.
package tools

import (
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
