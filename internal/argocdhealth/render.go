package argocdhealth

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Kind is one kind of the API and the conditions of its status that report findings.
type Kind struct {
	// Name is the kind, as in the object's kind field.
	Name string
	// FindingWhenFalse are conditions whose False is a finding (Compliant, Approved…).
	FindingWhenFalse []string
	// FindingWhenTrue are abnormal-true conditions whose True is a finding (Overdue…).
	FindingWhenTrue []string
	// SuspendedReason is the reason of the Scheduled condition that makes the object
	// Suspended; empty when the kind cannot be suspended.
	SuspendedReason string
}

// Kinds lists every kind of the API, in the order of docs/concepts.md.
var Kinds = []Kind{
	{Name: "CRMDatabase", FindingWhenFalse: []string{privacyv1alpha1.TypeLedgerReady, privacyv1alpha1.TypeRegistered}},
	{Name: "RetentionPolicy", FindingWhenFalse: []string{privacyv1alpha1.TypeApproved, privacyv1alpha1.TypeRegistered},
		SuspendedReason: privacyv1alpha1.ReasonSuspended},
	{Name: "ProcessingActivity", FindingWhenFalse: []string{privacyv1alpha1.TypeLegalBasisValid, privacyv1alpha1.TypeDPIAInPlace,
		privacyv1alpha1.TypeRetentionDefined, privacyv1alpha1.TypeProcessorsCovered, privacyv1alpha1.TypeCompliant, privacyv1alpha1.TypeRegistered}},
	{Name: "LegitimateInterestAssessment", FindingWhenFalse: []string{privacyv1alpha1.TypeApproved, privacyv1alpha1.TypeRegistered}},
	{Name: "AccessRole", FindingWhenFalse: []string{privacyv1alpha1.TypeMembersDesignated, privacyv1alpha1.TypeRegistered}},
	{Name: "DataSubjectRequest", FindingWhenFalse: []string{privacyv1alpha1.TypeApproved}, FindingWhenTrue: []string{privacyv1alpha1.TypeOverdue}},
	{Name: "DataBreach", FindingWhenFalse: []string{privacyv1alpha1.TypeRegistered}, FindingWhenTrue: []string{privacyv1alpha1.TypeOverdue,
		privacyv1alpha1.TypeAuthorityNotificationDue, privacyv1alpha1.TypeDataSubjectNotificationDue}},
	{Name: "RegisterRevision", FindingWhenFalse: []string{privacyv1alpha1.TypeVerified}},
	{Name: "ChangePreview"},
}

// Key is the kind's key in Argo CD's resource customizations: <group>_<Kind>, as in
// argocd-cm's resource.customizations.health.<group>_<Kind> and the directory of its script.
func (k Kind) Key() string { return privacyv1alpha1.GroupVersion.Group + "_" + k.Name }

// Script renders the kind's health.lua.
func (k Kind) Script() string {
	var b bytes.Buffer
	if err := scriptTemplate.Execute(&b, k); err != nil {
		panic(fmt.Sprintf("rendering the health check of %s: %v", k.Name, err))
	}
	return b.String()
}

// ConfigMapData renders the argocd-cm data entries that install every script, indented by
// indent spaces.
func ConfigMapData(indent int) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	for _, k := range Kinds {
		fmt.Fprintf(&b, "%sresource.customizations.health.%s: |\n", pad, k.Key())
		for _, line := range strings.Split(strings.TrimRight(k.Script(), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			fmt.Fprintf(&b, "%s  %s\n", pad, line)
		}
	}
	return b.String()
}

func luaList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "{" + strings.Join(quoted, ", ") + "}"
}

var scriptTemplate = template.Must(template.New("health.lua").Funcs(template.FuncMap{"luaList": luaList}).Parse(
	`-- Argo CD health check of {{.Name}} (privacy.crmoperator.io), rendered by
-- hack/argocdhealth from internal/argocdhealth; see docs/gitops.md. Do not edit by hand.
--   Degraded     Stalled=True: a person must change the spec (or what the reason names)
--   Progressing  no status yet, a generation not observed yet, Ready not True
--                (Reconciling=True: the operator retries by itself), or being deleted
{{- if .SuspendedReason}}
--   Suspended    spec.suspend is set (Scheduled=False, reason {{.SuspendedReason}})
{{- end}}
--   Healthy      Ready=True; findings for the DPO are listed in the message only
local findingWhenFalse = {{luaList .FindingWhenFalse}}
local findingWhenTrue = {{luaList .FindingWhenTrue}}

local function describe(c)
  local text = c.type .. " (" .. (c.reason or "") .. ")"
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local hs = {status = "Progressing", message = "Waiting for the operator to reconcile the object"}
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Being deleted"
  return hs
end
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end
if obj.status.conditions == nil then
  return hs
end

local byType = {}
for _, c in ipairs(obj.status.conditions) do
  byType[c.type] = c
end
local stalled = byType["Stalled"]
if stalled ~= nil and stalled.status == "True" then
  return {status = "Degraded", message = describe(stalled)}
end
local ready = byType["Ready"]
if ready == nil then
  return hs
end
if ready.status ~= "True" then
  hs.message = describe(ready)
  return hs
end
{{- if .SuspendedReason}}
local scheduled = byType["Scheduled"]
if scheduled ~= nil and scheduled.status == "False" and scheduled.reason == "{{.SuspendedReason}}" then
  return {status = "Suspended", message = describe(scheduled)}
end
{{- end}}

local findings = {}
for _, t in ipairs(findingWhenFalse) do
  local c = byType[t]
  if c ~= nil and c.status == "False" then
    table.insert(findings, describe(c))
  end
end
for _, t in ipairs(findingWhenTrue) do
  local c = byType[t]
  if c ~= nil and c.status == "True" then
    table.insert(findings, describe(c))
  end
end
hs.status = "Healthy"
if #findings > 0 then
  hs.message = "Findings for the DPO: " .. table.concat(findings, "; ")
else
  hs.message = ready.message or ""
end
return hs
`))

// header starts the generated YAML files.
const header = "# Generated by hack/argocdhealth from internal/argocdhealth (make manifests); do not edit.\n"

// Files is every file of config/argocd, by its slash-separated path in that directory.
func Files() map[string]string {
	files := map[string]string{}
	for _, k := range Kinds {
		files["health/"+k.Key()+"/health.lua"] = k.Script()
	}
	files["argocd-cm-health.yaml"] = header +
		"# Argo CD health checks of crm-privacy-operator's kinds (docs/gitops.md). Merge into the\n" +
		"# argocd-cm ConfigMap, for example as a kustomize patch of Argo CD's installation:\n" +
		"#   patches: [{path: argocd-cm-health.yaml}]\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n  labels:\n" +
		"    app.kubernetes.io/name: argocd-cm\n    app.kubernetes.io/part-of: argocd\ndata:\n" + ConfigMapData(2)
	files["argo-cd-values.yaml"] = header +
		"# The same health checks as values of the argo-cd Helm chart (argoproj/argo-helm):\n" +
		"#   helm upgrade argocd argo/argo-cd -f argo-cd-values.yaml ...\n" +
		"configs:\n  cm:\n" + ConfigMapData(4)
	return files
}
