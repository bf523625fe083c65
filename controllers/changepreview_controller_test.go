package controllers_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// createPreview creates a ChangePreview in ns and returns it.
func createPreview(t *testing.T, ns, name string, spec privacyv1alpha1.ChangePreviewSpec) *privacyv1alpha1.ChangePreview {
	t.Helper()
	cp := &privacyv1alpha1.ChangePreview{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if err := k8s.Create(context.Background(), cp); err != nil {
		t.Fatalf("creating ChangePreview %s: %v", name, err)
	}
	return cp
}

// waitAnswered waits for the preview's Completed condition and returns its Ready condition.
func waitAnswered(t *testing.T, cp *privacyv1alpha1.ChangePreview) metav1.Condition {
	t.Helper()
	conds := func() []metav1.Condition { return cp.Status.Conditions }
	waitCondition(t, cp, conds, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, "", 60*time.Second)
	for _, c := range cp.Status.Conditions {
		if c.Type == privacyv1alpha1.TypeReady {
			return c
		}
	}
	t.Fatalf("ChangePreview %s answered without a Ready condition", cp.Name)
	return metav1.Condition{}
}

// crmChecksums is the row count and an MD5 of every row of the CRM's tables, in key order:
// what a side-effect-free preview must leave exactly as it found.
func crmChecksums(t *testing.T, db *sql.DB, engine crm.Engine) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"contacts", "interactions", "notes", "deals"} {
		var n int
		var sum string
		q := fmt.Sprintf("SELECT COUNT(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) FROM %s t", table)
		if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[table] = fmt.Sprintf("%d rows, md5 %s", n, sum)
	}
	out["ledger"] = fmt.Sprint(count(t, db, "SELECT COUNT(*) FROM "+erasure.LedgerRowsSQL(engine)), " rows")
	return out
}

// handCount counts by hand, on the generic PostgreSQL schema, the contacts of a lifecycle
// stage whose term has run out (since the later of last_contact_at and the latest
// interaction of renewKinds — any kind when none is given — or since creation when neither
// exists), split into those acted on and those a legal hold keeps (the legalHold column,
// or the fixture's "Litigation Corp" hold).
func handCount(t *testing.T, db *sql.DB, stage string, months int, renewKinds ...string) (pending, held int64) {
	t.Helper()
	kinds := "TRUE"
	if len(renewKinds) > 0 {
		kinds = "i.kind IN ('" + strings.Join(renewKinds, "','") + "')"
	}
	q := fmt.Sprintf(`
SELECT COUNT(*) FILTER (WHERE NOT held), COUNT(*) FILTER (WHERE held) FROM (
  SELECT (COALESCE(c.legal_hold, FALSE) OR c.company = 'Litigation Corp') AS held
  FROM contacts c
  WHERE c.lifecycle_stage = $1
    AND COALESCE(GREATEST(c.last_contact_at, (SELECT MAX(i.occurred_at) FROM interactions i WHERE i.contact_id = c.id AND %s)),
                 c.created_at) < now() - make_interval(months => $2)
) s`, kinds)
	if err := db.QueryRow(q, stage, months).Scan(&pending, &held); err != nil {
		t.Fatalf("hand count: %v", err)
	}
	return pending, held
}

// TestChangePreviewCountsRetentionBesideTheLivePolicy: the operator counts a candidate policy
// and the live one with the plan's own count; each figure equals a count written by hand on
// the same data, and the CRM database is exactly as it was.
func TestChangePreviewCountsRetentionBesideTheLivePolicy(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.Postgres, "generic-postgres.sql")
	db := f.tdb.Open(t)
	engine := crm.Engine(f.tdb.Engine)

	live := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 100)
	live.Schedule = "@yearly"
	policy := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "crm-retention"}, Spec: live}
	if err := k8s.Create(context.Background(), policy); err != nil {
		t.Fatal(err)
	}
	before := crmChecksums(t, db, engine)

	// The candidate keeps prospects twice as long, drops the customers rule and adds a
	// stricter one for customers.
	cand := *live.DeepCopy()
	cand.Mode = privacyv1alpha1.ModeEnforce
	cand.Rules[0].RetainFor = "48m"
	cand.Rules[2] = privacyv1alpha1.RetentionRule{Name: "customers-2y", Selector: selector(privacyv1alpha1.FieldLifecycleStage, "customer"),
		RetainFor: "24m", Action: privacyv1alpha1.ActionDelete}
	cp := createPreview(t, f.ns, "stricter", privacyv1alpha1.ChangePreviewSpec{
		RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: "crm-retention", Spec: cand}})
	ready := waitAnswered(t, cp)
	if ready.Status != metav1.ConditionTrue || ready.Reason != privacyv1alpha1.ReasonAnswered {
		t.Fatalf("Ready = %s %s: %s", ready.Status, ready.Reason, ready.Message)
	}

	// The same counts, by hand.
	pLive, hLive := handCount(t, db, "prospect", 24, "call")
	pCand, hCand := handCount(t, db, "prospect", 48, "call")
	pLeads, hLeads := handCount(t, db, "lead", 12)
	pCust, hCust := handCount(t, db, "customer", 24)
	pCustLive, hCustLive := handCount(t, db, "customer", 120)
	if pLive != 3 || hLive != 2 || pLeads != 1 || pCust != 1 {
		t.Fatalf("the hand count does not see the fixture as documented: prospects %d/%d, leads %d, customers %d", pLive, hLive, pLeads, pCust)
	}
	n := func(v int64) *int64 { return &v }
	want := &privacyv1alpha1.RetentionPreview{
		LiveExists: true, LiveCounted: true, Mode: privacyv1alpha1.ModeEnforce, LiveMode: privacyv1alpha1.ModeDryRun, TotalContacts: n(8),
		Rules: []privacyv1alpha1.RulePreview{
			// Only the term differs: the two counts are comparable.
			{Name: "prospects", Action: privacyv1alpha1.ActionDelete, Pending: n(pCand), Held: n(hCand),
				LiveAction: privacyv1alpha1.ActionDelete, LivePending: n(pLive), LiveHeld: n(hLive), Comparable: true},
			{Name: "leads", Action: privacyv1alpha1.ActionAnonymize, Pending: n(pLeads), Held: n(hLeads),
				LiveAction: privacyv1alpha1.ActionAnonymize, LivePending: n(pLeads), LiveHeld: n(hLeads), Comparable: true},
			{Name: "customers-2y", Action: privacyv1alpha1.ActionDelete, Pending: n(pCust), Held: n(hCust)},
			{Name: "customers", Action: privacyv1alpha1.ActionDelete, LiveAction: privacyv1alpha1.ActionDelete, LivePending: n(pCustLive), LiveHeld: n(hCustLive)},
		},
	}
	if d := cmp.Diff(want, cp.Status.RetentionPolicy); d != "" {
		t.Errorf("status.retentionPolicy (-want +got):\n%s", d)
	}
	if cp.Status.AnsweredAt == nil || cp.Status.ObservedGeneration != cp.Generation {
		t.Errorf("answeredAt %v, observedGeneration %d (generation %d)", cp.Status.AnsweredAt, cp.Status.ObservedGeneration, cp.Generation)
	}

	// A candidate naming a field the database does not map is answered as such: no guess.
	bad := *cand.DeepCopy()
	bad.Rules[0].Selector = selector("loyaltyTier", "gold")
	badCP := createPreview(t, f.ns, "unmapped", privacyv1alpha1.ChangePreviewSpec{
		RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: "crm-retention", Spec: bad}})
	if r := waitAnswered(t, badCP); r.Status != metav1.ConditionFalse || r.Reason != privacyv1alpha1.ReasonInvalidSpec || !strings.Contains(r.Message, "loyaltyTier") {
		t.Errorf("Ready = %s %s: %s; want False InvalidSpec naming loyaltyTier", r.Status, r.Reason, r.Message)
	}
	if badCP.Status.RetentionPolicy != nil {
		t.Errorf("an unmapped field still gave figures: %+v", badCP.Status.RetentionPolicy)
	}

	if d := cmp.Diff(before, crmChecksums(t, db, engine)); d != "" {
		t.Errorf("the previews changed the CRM database (-before +after):\n%s", d)
	}
}

// TestChangePreviewOfANewPolicyOnAMissingDatabase: no live policy, and a database that does
// not exist: answered, with no figure.
func TestChangePreviewOfANewPolicyOnAMissingDatabase(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)
	cp := createPreview(t, ns, "nodb", privacyv1alpha1.ChangePreviewSpec{
		RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: "new-policy", Spec: spec}})
	r := waitAnswered(t, cp)
	if r.Status != metav1.ConditionFalse || r.Reason != privacyv1alpha1.ReasonDatabaseNotFound {
		t.Errorf("Ready = %s %s: %s; want False DatabaseNotFound", r.Status, r.Reason, r.Message)
	}
}

func designated(user string) privacyv1alpha1.RoleMember {
	at := metav1.NewTime(time.Now().Add(-24 * time.Hour))
	return privacyv1alpha1.RoleMember{User: privacyv1alpha1.SQLIdentifier(user),
		Designation: &privacyv1alpha1.Designation{DesignatedBy: "Head of Sales", DesignatedAt: at, InstructedAt: at}}
}

// TestChangePreviewComparesAccessRoles: privileges and members gained and lost between the
// live AccessRole's desired state and the candidate's; a member without a designation holds
// nothing on either side.
func TestChangePreviewComparesAccessRoles(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	live := privacyv1alpha1.AccessRoleSpec{
		DatabaseRef: privacyv1alpha1.LocalObjectReference{Name: "crm"}, RoleName: "crm_sales",
		ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "sales-prospecting"},
		Grants: []privacyv1alpha1.TableGrant{
			{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}, Columns: []privacyv1alpha1.SQLIdentifier{"id", "email"}},
			{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect, privacyv1alpha1.PrivilegeDelete}},
		},
		RowFilter: selector(privacyv1alpha1.FieldContactType, "B2B"),
		Members:   []privacyv1alpha1.RoleMember{designated("alice"), {User: "bob"}, designated("carol")},
	}
	ar := &privacyv1alpha1.AccessRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales-team"}, Spec: live}
	if err := k8s.Create(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	cand := *live.DeepCopy()
	cand.Grants[0].Columns = append(cand.Grants[0].Columns, "phone")
	cand.Grants[1].Privileges = []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}
	cand.RowFilter = nil
	cand.Members = []privacyv1alpha1.RoleMember{designated("alice"), designated("bob")}
	cp := createPreview(t, ns, "widen", privacyv1alpha1.ChangePreviewSpec{
		AccessRole: &privacyv1alpha1.AccessRoleCandidate{Name: "sales-team", Spec: cand}})
	if r := waitAnswered(t, cp); r.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %s %s: %s", r.Status, r.Reason, r.Message)
	}
	want := &privacyv1alpha1.AccessPreview{
		LiveExists:       true,
		PrivilegesGained: []privacyv1alpha1.PrivilegePreview{{Table: "contacts", Column: "phone", Privilege: privacyv1alpha1.PrivilegeSelect}},
		PrivilegesLost:   []privacyv1alpha1.PrivilegePreview{{Table: "notes", Privilege: privacyv1alpha1.PrivilegeDelete}},
		MembersGained:    []string{"bob"},
		MembersLost:      []string{"carol"},
		RowFilter:        privacyv1alpha1.RowFilterRemoved,
	}
	if d := cmp.Diff(want, cp.Status.AccessRole); d != "" {
		t.Errorf("status.accessRole (-want +got):\n%s", d)
	}

	// A new AccessRole gains everything it declares for its designated members.
	fresh := createPreview(t, ns, "fresh", privacyv1alpha1.ChangePreviewSpec{
		AccessRole: &privacyv1alpha1.AccessRoleCandidate{Name: "support-team", Spec: live}})
	waitAnswered(t, fresh)
	got := fresh.Status.AccessRole
	if got == nil || got.LiveExists || len(got.PrivilegesGained) != 4 || len(got.PrivilegesLost) != 0 ||
		!cmp.Equal(got.MembersGained, []string{"alice", "carol"}) || got.RowFilter != privacyv1alpha1.RowFilterAdded {
		t.Errorf("status.accessRole of a new role = %+v", got)
	}
}

// TestChangePreviewIsDeletedAfterItsTTL: an answered preview goes away by itself.
func TestChangePreviewIsDeletedAfterItsTTL(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	spec := privacyv1alpha1.AccessRoleSpec{
		DatabaseRef: privacyv1alpha1.LocalObjectReference{Name: "crm"}, RoleName: "crm_x",
		ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "x"},
		Grants:                []privacyv1alpha1.TableGrant{{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
	}
	ttl := int32(0)
	cp := createPreview(t, ns, "short", privacyv1alpha1.ChangePreviewSpec{TTLSecondsAfterAnswered: &ttl,
		AccessRole: &privacyv1alpha1.AccessRoleCandidate{Name: "x", Spec: spec}})
	eventually(t, 30*time.Second, "the answered preview to be deleted", func() (bool, error) {
		err := k8s.Get(context.Background(), key(cp), &privacyv1alpha1.ChangePreview{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, fmt.Errorf("still there (%w)", err)
	})
}
