#!/usr/bin/env bash
# make demo: the operator at work on a local control plane and an embedded demo CRM.
#
# Builds the manager and the kubectl plugin, starts etcd + kube-apiserver (the envtest
# binaries hack/envtest.sh builds), seeds a SQLite CRM with fictitious contacts, runs the
# operator, applies the samples, and shows the plan, one enforced run, the database after
# it and the register. Everything it starts stops on exit or Ctrl-C; KEEP=1 keeps it all
# running to explore until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO="$PWD/.demo"
CRM="${CRM:-sqlite}"
KEEP="${KEEP:-}"
NS=sales

if [ "$CRM" != sqlite ]; then
	echo "make demo CRM=$CRM: only the embedded SQLite CRM is available in this version;" >&2
	echo "the PostgreSQL variant (with AccessRole grants) is not done yet. Run: make demo" >&2
	exit 2
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the manager, the kubectl plugin and the demo tools"
ASSETS="$(hack/envtest.sh)"
export KUBEBUILDER_ASSETS="$ASSETS"
KUBECTL="$ASSETS/kubectl"
make --no-print-directory build >/dev/null
go build -o bin/localcluster ./hack/localcluster
go build -o bin/democrm ./hack/democrm
rm -rf "$DEMO" && mkdir -p "$DEMO"

pids=()
cleanup() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "demo: stopped everything it started (logs in .demo/)"
}
trap cleanup EXIT INT TERM

step "Starting a local control plane (etcd + kube-apiserver) with the CRDs"
bin/localcluster -write-kubeconfig "$DEMO/kubeconfig" >"$DEMO/controlplane.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do [ -s "$DEMO/kubeconfig" ] && break; sleep 1; done
[ -s "$DEMO/kubeconfig" ] || { echo "the control plane did not start; see .demo/controlplane.log" >&2; exit 1; }
export KUBECONFIG="$DEMO/kubeconfig"
k() { "$KUBECTL" "$@"; }

step "Seeding the demo CRM (SQLite, fictitious contacts)"
bin/democrm seed -db "$DEMO/crm.sqlite" -contacts 3000
bin/democrm count -db "$DEMO/crm.sqlite"

step "Starting the operator (logs in .demo/manager.log)"
bin/manager --leader-elect=false --metrics-bind-address=0 --health-probe-bind-address=0 \
	--recheck-interval=10s --zap-encoder=console >"$DEMO/manager.log" 2>&1 &
pids+=($!)

step "Applying the samples to namespace $NS (the CRM database points at the demo CRM)"
k create namespace "$NS" >/dev/null
k apply -n "$NS" -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-credentials
stringData:
  path: $DEMO/crm.sqlite
---
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-ledger-key
stringData:
  hmac-key: $(head -c 48 /dev/urandom | base64 | tr -d '\n')
---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: CRMDatabase
metadata:
  name: crm-db
spec:
  engine: sqlite
  connection:
    secretRef:
      name: crm-db-credentials
  preset: generic
  ledger:
    hmacKeySecretRef:
      name: crm-db-ledger-key
      key: hmac-key
YAML
k apply -n "$NS" -f config/samples/privacy_v1alpha1_legitimateinterestassessment.yaml \
	-f config/samples/privacy_v1alpha1_processingactivity.yaml \
	-f config/samples/privacy_v1alpha1_retentionpolicy.yaml
k wait -n "$NS" --for=condition=Ready crmdatabase/crm-db --timeout=120s
# Run the enforced sample policy at the next minute instead of 02:30.
k patch -n "$NS" retentionpolicy prospects-retention --type merge -p '{"spec":{"schedule":"* * * * *","timeZone":"UTC"}}' >/dev/null
k wait -n "$NS" --for=jsonpath='{.status.pending}' retentionpolicy/prospects-retention --timeout=60s >/dev/null 2>&1 || true

step "kubectl get crmprivacy -n $NS"
k get crmprivacy -n "$NS"

step "kubectl gdpr plan -n $NS   (what each rule would erase now)"
bin/kubectl-gdpr plan -n "$NS" || true

step "Waiting for the enforced run of prospects-retention (at the next minute)"
k wait -n "$NS" --for=jsonpath='{.status.lastRun.result}'=Succeeded retentionpolicy/prospects-retention --timeout=150s
k get retentionpolicy -n "$NS"
k get retentionpolicy -n "$NS" prospects-retention -o jsonpath='{.status.lastRun}{"\n"}'

step "The demo CRM after the run"
bin/democrm count -db "$DEMO/crm.sqlite"

step "The register: kubectl get registerrevisions"
k get registerrevisions
step "kubectl gdpr register export --format markdown (first lines)"
bin/kubectl-gdpr register export --format markdown | head -40
bin/kubectl-gdpr register verify

if [ -n "$KEEP" ]; then
	step "Everything keeps running. In another shell:"
	echo "  export KUBECONFIG=$DEMO/kubeconfig PATH=$PWD/bin:$ASSETS:\$PATH"
	echo "  kubectl get crmprivacy -n $NS; kubectl gdpr plan -n $NS; kubectl gdpr scan -n $NS"
	echo "Ctrl-C stops it all."
	wait
fi
