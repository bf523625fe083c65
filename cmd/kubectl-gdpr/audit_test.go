package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func auditAccessRole(name, role string, inSync metav1.ConditionStatus, grants ...privacyv1alpha1.TableGrant) *privacyv1alpha1.AccessRole {
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name},
		Spec: privacyv1alpha1.AccessRoleSpec{DatabaseRef: privacyv1alpha1.LocalObjectReference{Name: "crm"},
			RoleName: privacyv1alpha1.SQLIdentifier(role), Grants: grants},
	}
	ar.Status.Conditions = []metav1.Condition{{Type: privacyv1alpha1.TypeInSync, Status: inSync, Reason: "Reconciled"}}
	ar.Status.ActiveMembers = 2
	return ar
}

func TestAuditAccessListsPersonalColumnsPerRole(t *testing.T) {
	sel := []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}
	db := &privacyv1alpha1.CRMDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "crm"},
		Spec: privacyv1alpha1.CRMDatabaseSpec{Engine: privacyv1alpha1.EnginePostgres, Preset: privacyv1alpha1.PresetGeneric}}
	sales := auditAccessRole("sales", "crm_sales", metav1.ConditionTrue,
		privacyv1alpha1.TableGrant{Table: "contacts", Privileges: sel, Columns: []privacyv1alpha1.SQLIdentifier{"id", "email", "company"}})
	hr := auditAccessRole("hr", "crm_hr", metav1.ConditionTrue,
		privacyv1alpha1.TableGrant{Table: "contacts", Privileges: sel})
	writer := auditAccessRole("writer", "crm_writer", metav1.ConditionFalse,
		privacyv1alpha1.TableGrant{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeInsert}})
	other := auditAccessRole("elsewhere", "crm_other", metav1.ConditionTrue, privacyv1alpha1.TableGrant{Table: "contacts", Privileges: sel})
	other.Spec.DatabaseRef.Name = "legacy"
	c := fakePluginClient(t, db, sales, hr, writer, other)

	var out bytes.Buffer
	err := runAuditAccess(context.Background(), c, &out, "sales", "crm", outputJSON)
	var rows []accessRow
	if jerr := json.Unmarshal(out.Bytes(), &rows); jerr != nil {
		t.Fatalf("output is not JSON: %v\n%s", jerr, out.String())
	}
	got := map[string][]string{}
	restricted := map[string]int{}
	for _, r := range rows {
		got[r.Role] = r.PersonalColumns
		restricted[r.Role] = len(r.RestrictedColumns)
	}
	want := map[string][]string{
		"crm_sales":  {"contacts.email (email)"},
		"crm_writer": {},
		"crm_hr": {"contacts.email (email)", "contacts.first_name (firstName)", "contacts.last_name (lastName)", "contacts.phone (phone)",
			"contacts.birth_date (birthDate)", "contacts.personal_phone (personalPhone)", "contacts.spouse_name (spouseName)",
			"contacts.children_names (childrenNames)", "contacts.personal_interests (personalInterests)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("personal columns per role (-want +got):\n%s", diff)
	}
	if restricted["crm_hr"] != 5 || restricted["crm_sales"] != 0 {
		t.Errorf("restricted columns: %v", restricted)
	}
	var fe *findingsError
	if !errors.As(err, &fe) || !strings.Contains(fe.msg, "crm_writer is not in sync") || !strings.Contains(fe.msg, "crm_hr reads 5 restricted") {
		t.Errorf("findings: %v", err)
	}

	out.Reset()
	_ = runAuditAccess(context.Background(), c, &out, "sales", "crm", outputTable)
	if !strings.Contains(out.String(), "crm_sales") || strings.Contains(out.String(), "crm_other") {
		t.Errorf("table output:\n%s", out.String())
	}
}
