# crm-privacy-operator — build, test and run.
# Tool versions are pinned in hack/tools/go.mod (controller-gen), hack/tools/helm/go.mod,
# hack/tools/lint/go.mod (golangci-lint + kube-api-linter), hack/tools/vuln/go.mod (govulncheck)
# and hack/envtest.sh (control plane).

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
HELM ?= $(LOCALBIN)/helm
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
KUBECTL ?= kubectl
GO_TOOL = go build -modfile=hack/tools/go.mod -o
GOTEST_FLAGS ?=
PKGS ?= ./...

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC from the Go markers, and the Argo CD health checks.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:allowDangerousTypes=false paths="./api/...;./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart-crds.sh
	go run ./hack/apidocs -crds config/crd/bases -out docs/api.md
	go run ./hack/argocdhealth -dir config/argocd

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (.golangci.yml), with kube-api-linter on api/.
	$(GOLANGCI_LINT) run ./...

.PHONY: lint-fix
lint-fix: golangci-lint ## Apply the fixes golangci-lint and its formatters suggest.
	$(GOLANGCI_LINT) run --fix ./...

.PHONY: verify
verify: manifests generate ## Fail on stale generated files, gofmt, vet or lint findings, or a reachable known vulnerability.
	@test -z "$$(gofmt -s -l $$(git ls-files '*.go'))" || { echo "not gofmt-ed:"; gofmt -s -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	@git diff --exit-code -- api config charts docs || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- api config charts docs)" || { echo "untracked generated files (git add them):"; git ls-files --others --exclude-standard -- api config charts docs; exit 1; }
	$(MAKE) lint
	$(MAKE) vulncheck

.PHONY: vulncheck
vulncheck: ## Run govulncheck against the Go vulnerability database pinned in hack/tools/vuln/go.mod (offline).
	hack/vulncheck.sh

##@ Test

.PHONY: test-deps
test-deps: ## Install the database servers the tests start (PostgreSQL, MariaDB) and promtool if missing.
	hack/test-deps.sh

.PHONY: envtest
envtest: ## Build (once) the kube-apiserver, etcd and kubectl binaries from source; prints their directory.
	@hack/envtest.sh

# `make test` checks first what `make verify` checks, so CI (.ci/run) fails on stale generated
# files and on gofmt, vet or lint findings. `make test VERIFY=` skips it, for a local run with
# API changes not yet committed.
VERIFY ?= verify

.PHONY: test
test: $(VERIFY) test-deps manifests generate helm-lint ## Run make verify, then all tests: unit, envtest controllers, real PostgreSQL/MariaDB/SQLite, promtool rule tests, e2e, fuzz.
	KUBEBUILDER_ASSETS="$$(hack/envtest.sh)" HELM="$(HELM)" go test $(GOTEST_FLAGS) -count=1 -timeout 40m $(PKGS)
	$(MAKE) fuzz

# Fuzz targets, as package:target; `make fuzz FUZZTIME=5m` fuzzes longer.
FUZZ_TARGETS := internal/crm:FuzzQuoteIdent internal/crm/erasure:FuzzSelectorCompile internal/crm:FuzzSelectorAgreesWithReference internal/crm/erasure:FuzzRuleCompile \
	internal/retention:FuzzParseTerm internal/retention:FuzzParseSchedule internal/register:FuzzCanonicalValue
FUZZTIME ?= 5s

.PHONY: fuzz
fuzz: ## Fuzz identifier quoting, the selector compiler, term/cron parsing and canonical JSON (FUZZTIME each).
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		go test ./$$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) >/tmp/fuzz-$$name.log 2>&1 || { cat /tmp/fuzz-$$name.log; exit 1; }; \
	done

.PHONY: test-e2e
test-e2e: test-deps manifests ## End to end: the built manager and plugin, a local control plane, real PostgreSQL, real kubectl.
	KUBEBUILDER_ASSETS="$$(hack/envtest.sh)" go test $(GOTEST_FLAGS) -count=1 -timeout 20m -v ./internal/e2e/

.PHONY: bench
bench: test-deps ## Run the benchmarks (retention sweep vs set-based DELETE, register, access).
	KUBEBUILDER_ASSETS="$$(hack/envtest.sh)" go test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

.PHONY: helm-lint
helm-lint: helm manifests ## Lint the Helm chart, render it with default and non-default values, check the namespaced RBAC.
	$(HELM) lint --strict charts/crm-privacy-operator
	$(HELM) template test charts/crm-privacy-operator --namespace crm-privacy-system >/dev/null
	$(HELM) template test charts/crm-privacy-operator --namespace crm-privacy-system \
		--set crds.enabled=false --set metrics.serviceMonitor.enabled=true \
		--set 'manager.watchNamespaces={sales,marketing}' --set rbac.aggregateToDefaultRoles=true >/dev/null
	$(HELM) template test charts/crm-privacy-operator --namespace crm-privacy-system \
		--set prometheusRule.enabled=true --set grafanaDashboard.enabled=true --set manager.policyReports=true >/dev/null
	$(HELM) template test charts/crm-privacy-operator --namespace crm-privacy-system \
		--set 'manager.allowedDatabaseHosts={10.20.0.0/16,*.sales.svc.cluster.local}' \
		--set networkPolicy.egress.enabled=true --set 'networkPolicy.egress.databaseCIDRs={10.20.0.0/16}' \
		--set 'networkPolicy.egress.apiServerCIDRs={172.18.0.2/32}' >/dev/null
	$(HELM) template test charts/crm-privacy-operator --namespace crm-privacy-system \
		--set rbac.namespaced=true --set 'manager.watchNamespaces={sales,marketing}' \
		| go run ./hack/rbacgen -check-namespaced - -namespaces sales,marketing
	@! $(HELM) template test charts/crm-privacy-operator --set rbac.namespaced=true >/dev/null 2>&1 \
		|| { echo "rbac.namespaced without manager.watchNamespaces rendered; it must fail"; exit 1; }

##@ Build

.PHONY: build
build: generate ## Build the manager and the kubectl-gdpr plugin into bin/.
	go build -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/kubectl-gdpr ./cmd/kubectl-gdpr

# The plugin's release version: the last v* tag, else v0.0.0-<commit> (krew needs a semantic
# version with a leading v). DIST_BASE_URL is where the archives will be downloaded from.
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null || echo "v0.0.0-$$(git rev-parse --short HEAD 2>/dev/null || echo dev)")
DIST_BASE_URL ?= https://github.com/crm-privacy-operator/crm-privacy-operator/releases/download/$(VERSION)

.PHONY: dist
dist: ## Cross-build kubectl-gdpr (linux, darwin, windows; amd64, arm64) into dist/: archives, SHA256SUMS, krew manifest.
	VERSION=$(VERSION) DIST_BASE_URL=$(DIST_BASE_URL) hack/dist.sh

.PHONY: run
run: manifests generate ## Run the manager from your host against the current kubeconfig.
	go run ./cmd/manager

.PHONY: demo
demo: ## Show the operator at work on a local control plane with an embedded demo CRM (CRM=postgres: throwaway PostgreSQL, AccessRoles).
	hack/demo.sh

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs (and with them every policy and register revision!).
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Install CRDs, RBAC and the manager (config/default) into the current cluster.
	$(KUBECTL) apply --server-side -k config/default

.PHONY: undeploy
undeploy: ## Remove the manager, RBAC and CRDs installed by deploy.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen (pinned in hack/tools/go.mod).
$(CONTROLLER_GEN): hack/tools/go.mod
	$(GO_TOOL) $@ sigs.k8s.io/controller-tools/cmd/controller-gen

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint with kube-api-linter compiled in (pinned in hack/tools/lint/go.mod).
$(GOLANGCI_LINT): hack/tools/lint/go.mod
	go build -modfile=hack/tools/lint/go.mod -o $@ sigs.k8s.io/kube-api-linter/cmd/golangci-lint-kube-api-linter

.PHONY: helm
helm: $(HELM) ## Build helm (pinned in hack/tools/helm/go.mod).
$(HELM): hack/tools/helm/go.mod
	go build -modfile=hack/tools/helm/go.mod -o $@ helm.sh/helm/v3/cmd/helm
