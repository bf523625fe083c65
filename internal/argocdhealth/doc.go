// Package argocdhealth renders the Argo CD health checks of the API's kinds: one Lua script
// per kind (config/argocd/health/<group>_<Kind>/health.lua) and the argocd-cm entries that
// install them, from one template and one table of each kind's finding conditions
// (Kinds), and runs a script the way Argo CD does, in gopher-lua, for the tests.
//
// The scripts read the conditions the operator writes (docs/gitops.md): Stalled=True is
// Degraded; Ready=False (Reconciling=True), no status yet, or a generation the operator has
// not observed is Progressing; a suspended RetentionPolicy is Suspended; Ready=True is
// Healthy, and the finding conditions (a non-compliant scan, a run awaiting an approval, an
// overdue deadline) only add to the message: findings are the DPO's work, not a failure.
package argocdhealth
