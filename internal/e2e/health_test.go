package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// healthObjects are an object of every namespaced kind beside the CRMDatabase and the
// samples' LIA and activities: a dry-run policy, an access role without members, a breach
// counted on the database (notified in time) and, from the samples, an erasure request for
// a person the CRM does not hold.
const healthObjects = `apiVersion: privacy.crmoperator.io/v1alpha1
kind: RetentionPolicy
metadata: {name: prospects}
spec:
  databaseRef: {name: crm-db}
  processingActivityRef: {name: sales-prospecting}
  schedule: "0 3 * * *"
  mode: DryRun
  rules:
    - name: prospects
      selector: {matchExpressions: [{field: lifecycleStage, operator: In, values: [prospect]}]}
      retainFor: 24m
      action: Delete
---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: AccessRole
metadata: {name: readers}
spec:
  databaseRef: {name: crm-db}
  roleName: crm_e2e_health_readers
  processingActivityRef: {name: sales-prospecting}
  grants:
    - {table: notes, privileges: [SELECT]}
---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: DataBreach
metadata: {name: lost-laptop}
spec:
  detectedAt: "2026-03-28T09:40:00Z"
  awareAt: "2026-03-28T10:00:00Z"
  nature: {types: [Confidentiality], description: an unencrypted laptop with a CRM export was lost}
  dataSubjects: {categories: [prospects]}
  personalData: {categories: [business email]}
  likelyConsequences: [phishing]
  measures: {taken: [remote wipe requested]}
  databaseRefs: [{name: crm-db}]
  contactSelector: {matchExpressions: [{field: lifecycleStage, operator: In, values: [prospect]}]}
  riskAssessment: {level: Risk, reasoning: business contact details only}
  notifications:
    authority: {notifiedAt: "2026-03-29T10:00:00Z", authorityName: CNIL}
`

// stalledPolicy selects contacts by a field the database does not map: a person must
// change it.
const stalledPolicy = `apiVersion: privacy.crmoperator.io/v1alpha1
kind: RetentionPolicy
metadata: {name: unmapped}
spec:
  databaseRef: {name: crm-db}
  processingActivityRef: {name: sales-prospecting}
  schedule: "0 3 * * *"
  rules:
    - name: gold
      selector: {matchExpressions: [{field: loyaltyTier, operator: In, values: [gold]}]}
      retainFor: 24m
      action: Delete
`

// TestKubectlWaitReadyOnEveryKind applies an object of every kind with the real kubectl and
// waits for Ready on each with `kubectl wait --for=condition=Ready`, as a pipeline does,
// findings included (the samples' activities report findings and are Ready all the same).
// An object a person must fix never becomes Ready: the wait for it times out, and the wait
// for Stalled returns.
func TestKubectlWaitReadyOnEveryKind(t *testing.T) {
	const ns = "e2e-health"
	tdb := testdb.Postgres(t)
	seed(t, tdb, 3, 3)
	startManager(t)
	applyCRM(t, ns, tdb)
	samples := filepath.Join(cluster.root, "config", "samples")
	mustKubectl(t, healthObjects, "apply", "-n", ns, "-f", "-")
	mustKubectl(t, "", "apply", "-n", ns, "-f", filepath.Join(samples, "privacy_v1alpha1_datasubjectrequest.yaml"))

	for _, object := range []string{
		"crmdatabase/crm-db",
		"retentionpolicy/prospects",
		"processingactivity/sales-prospecting",
		"processingactivity/newsletter-marketing",
		"processingactivity/customer-management",
		"legitimateinterestassessment/b2b-prospecting",
		"accessrole/readers",
		"databreach/lost-laptop",
		"datasubjectrequest/request-2026-0042",
	} {
		waitOrShow(t, ns, object, "--for=condition=Ready")
	}
	// RegisterRevisions are cluster-scoped; the activities above make one at least.
	if out, err := kubectl(t, "", "wait", "--for=condition=Ready", "registerrevisions", "--all", "--timeout=120s"); err != nil || !strings.Contains(out, "condition met") {
		t.Fatalf("kubectl wait for the register revisions: %v\n%s", err, out)
	}

	mustKubectl(t, stalledPolicy, "apply", "-n", ns, "-f", "-")
	waitOrShow(t, ns, "retentionpolicy/unmapped", "--for=condition=Stalled")
	if out, err := kubectl(t, "", "wait", "-n", ns, "--for=condition=Ready", "retentionpolicy/unmapped", "--timeout=3s"); err == nil {
		t.Errorf("kubectl wait --for=condition=Ready returned on a stalled policy:\n%s", out)
	}
	if reason := condition(t, ns, "retentionpolicy/unmapped", "Stalled"); !strings.Contains(reason, "InvalidSpec") {
		t.Errorf("Stalled = %q, want reason InvalidSpec", reason)
	}
}
