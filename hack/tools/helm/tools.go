//go:build tools

// Package helm pins the Helm version used by `make helm-lint` (lint and template of the chart).
// It is a module of its own so that Helm's Kubernetes libraries do not move the versions of
// the other tools.
package helm

import _ "helm.sh/helm/v3/cmd/helm"
