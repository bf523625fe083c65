package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// mappedDatabase is a CRMDatabase on the EspoCRM preset, customised: the job role moved to
// a custom column, a custom field added; its status holds the problems the operator's
// schema check published, as structured fields.
func mappedDatabase(problems ...privacyv1alpha1.SchemaProblem) *privacyv1alpha1.CRMDatabase {
	db := &privacyv1alpha1.CRMDatabase{
		ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: "sales", Generation: 3},
		Spec: privacyv1alpha1.CRMDatabaseSpec{Engine: privacyv1alpha1.EngineMySQL, Preset: privacyv1alpha1.PresetEspoCRM,
			Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: "crm-db"}},
			Mapping: &privacyv1alpha1.SchemaMapping{Fields: []privacyv1alpha1.FieldMapping{
				{Name: "jobRole", Column: "c_job_title"},
				{Name: "legalBasis", Column: "c_legal_basis"},
			}}},
		Status: privacyv1alpha1.CRMDatabaseStatus{
			Conditions: []metav1.Condition{{Type: privacyv1alpha1.TypeSchemaValid, Status: metav1.ConditionFalse, Reason: "SchemaInvalid",
				ObservedGeneration: 3, LastTransitionTime: scannedAt}},
			SchemaProblems: problems,
		},
	}
	return db
}

func TestMappingShowsResolvedMappingAndProblems(t *testing.T) {
	problems := []privacyv1alpha1.SchemaProblem{
		{Field: "mapping.fields[jobRole].column", Kind: privacyv1alpha1.ProblemMissingColumn, Table: "contact", Column: "c_job_title",
			Message: "column c_job_title does not exist in table contact (did you mean c_jobtitle?)"},
		{Field: "mapping.fields[legalBasis].column", Kind: privacyv1alpha1.ProblemWrongType, Table: "contact", Column: "c_legal_basis",
			ActualType: "datetime", ExpectedTypes: "a text or integer column",
			Message: "column contact.c_legal_basis has type datetime, but field legalBasis needs a text or integer column"},
		{Field: "mapping.related[phone-numbers].table", Kind: privacyv1alpha1.ProblemMissingTable, Table: "phone_number",
			Message: "table phone_number does not exist in the connection's database"},
	}
	c := fakePluginClient(t, mappedDatabase(problems...))
	ctx := context.Background()
	var out bytes.Buffer
	err := runMapping(ctx, c, &out, "sales", "crm", outputTable)
	golden(t, "mapping-espocrm.golden", out.String())
	var fe *findingsError
	if !errors.As(err, &fe) || fe.msg != "3 problem(s) in the mapping of sales/crm against its database" {
		t.Errorf("mapping with problems: %v, want a findings error (exit code 2)", err)
	}

	out.Reset()
	_ = runMapping(ctx, c, &out, "sales", "crm", outputJSON)
	golden(t, "mapping-espocrm.json.golden", out.String())
}

func TestMappingWithoutProblemsOrCheck(t *testing.T) {
	ctx := context.Background()
	clean := mappedDatabase()
	clean.Spec.Mapping = nil
	clean.Spec.Preset = privacyv1alpha1.PresetVtiger
	var out bytes.Buffer
	if err := runMapping(ctx, fakePluginClient(t, clean), &out, "sales", "crm", outputTable); err != nil {
		t.Errorf("mapping without problems: %v", err)
	}
	golden(t, "mapping-vtiger.golden", out.String())

	// A spec changed since the check: the problems are outdated, and said so.
	stale := mappedDatabase()
	stale.Generation = 4
	rep, err := buildMappingReport(stale)
	if err != nil || rep.Checked != "outdated" {
		t.Errorf("report of a changed spec: checked %q, %v; want outdated", rep.Checked, err)
	}
	// Never checked: fields are unchecked, not ok.
	never := mappedDatabase()
	never.Status = privacyv1alpha1.CRMDatabaseStatus{}
	rep, _ = buildMappingReport(never)
	if rep.Checked != "never" || rep.Fields[0].Status != "unchecked" {
		t.Errorf("report of an unchecked database: checked %q, first field %+v", rep.Checked, rep.Fields[0])
	}
	if err := runMapping(ctx, fakePluginClient(t), &out, "sales", "missing", outputTable); err == nil {
		t.Error("mapping of a missing CRMDatabase succeeded")
	}
}
