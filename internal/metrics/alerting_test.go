package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	_ "sigs.k8s.io/controller-runtime/pkg/controller" // registers controller_runtime_reconcile_* metrics
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"
)

// The chart's alerting rules and dashboard read this package's metrics. These tests keep
// them from drifting apart: every metric and label the rules and the dashboard name is one
// the operator declares, the rules pass promtool's unit tests, and the chart ships exactly
// those rules and that dashboard.

const (
	chartDir      = "../../charts/crm-privacy-operator"
	rulesFile     = chartDir + "/files/prometheus-rules.yaml"
	dashboardFile = chartDir + "/files/grafana-dashboard.json"
	rulesTestFile = "../../config/prometheus/rules_test.yaml"
	operationsDoc = "../../docs/operations.md"
	// rulesTestRef is how rulesTestFile names rulesFile.
	rulesTestRef = "../../charts/crm-privacy-operator/files/prometheus-rules.yaml"
)

type ruleFile struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func readRules(t *testing.T, path string) ruleFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Groups) == 0 {
		t.Fatalf("%s: no rule group", path)
	}
	return f
}

func (f ruleFile) alerts() map[string]rule {
	out := map[string]rule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r
		}
	}
	return out
}

// declaredMetrics returns the metrics registered with controller-runtime's registry (this
// package's and controller-runtime's own), by name, with their label names. A histogram is
// listed under its series' names (_bucket with the label le, _sum, _count).
func declaredMetrics(t *testing.T) map[string][]string {
	t.Helper()
	histograms := map[string]bool{}
	for _, h := range []prometheus.Collector{RunDuration, BatchDuration} {
		for name := range describe(t, h) {
			histograms[name] = true
		}
	}
	reg, ok := crmetrics.Registry.(prometheus.Collector)
	if !ok {
		t.Fatalf("controller-runtime's registry (%T) cannot describe its metrics", crmetrics.Registry)
	}
	out := map[string][]string{}
	for name, labels := range describe(t, reg) {
		if !histograms[name] {
			out[name] = labels
			continue
		}
		out[name+"_bucket"] = append(append([]string{}, labels...), "le")
		out[name+"_sum"] = labels
		out[name+"_count"] = labels
	}
	if _, ok := out["crm_privacy_database_ready"]; !ok {
		t.Fatalf("the registry's descriptions were not understood: %v", out)
	}
	return out
}

// descRE reads a metric's name and variable labels from prometheus.Desc.String().
var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func describe(t *testing.T, c prometheus.Collector) map[string][]string {
	t.Helper()
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	out := map[string][]string{}
	for d := range ch {
		m := descRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the metric description %s", d)
		}
		var labels []string
		for l := range strings.SplitSeq(m[2], ",") {
			if l = strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"); l != "" {
				labels = append(labels, l)
			}
		}
		out[m[1]] = labels
	}
	return out
}

// dashboardQueries returns every PromQL expression of the dashboard: the panels' targets
// and the template variables' queries, with where each comes from.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr       string `json:"expr"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s does not parse: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("the dashboard has no uid or title")
	}
	out := map[string]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			if tg.Expr == "" || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q target %d: expr %q on data source %q; want an expression on ${datasource}", p.Title, i, tg.Expr, tg.Datasource.UID)
			}
			out[fmt.Sprintf("panel %q target %d", p.Title, i)] = tg.Expr
		}
	}
	for _, v := range d.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			out["variable "+v.Name] = q.Query
		}
	}
	if len(out) == 0 {
		t.Fatal("the dashboard has no query")
	}
	return out
}

var (
	metricRE   = regexp.MustCompile(`\b(?:crm_privacy|controller_runtime)_[a-z0-9_]+`)
	selectorRE = regexp.MustCompile(`\b((?:crm_privacy|controller_runtime)_[a-z0-9_]+)\s*\{([^}]*)\}`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"`)
	groupingRE = regexp.MustCompile(`\b(?:by|on|without|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	funcArgsRE = regexp.MustCompile(`label_values\(\s*[a-z0-9_]+\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)
)

// checkExpression reports the metrics an expression names that the operator does not
// declare, the label matchers on labels a metric does not have, and the grouping labels
// none of its metrics has.
func checkExpression(declared map[string][]string, expr string) []string {
	var problems []string
	labelsOf := map[string]bool{"le": false}
	names := metricRE.FindAllString(expr, -1)
	for _, name := range names {
		labels, ok := declared[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("metric %s is not declared by the operator", name))
			continue
		}
		for _, l := range labels {
			labelsOf[l] = true
		}
	}
	for _, m := range selectorRE.FindAllStringSubmatch(expr, -1) {
		labels, ok := declared[m[1]]
		if !ok {
			continue
		}
		for _, lm := range matcherRE.FindAllStringSubmatch(m[2], -1) {
			if !contains(labels, lm[1]) {
				problems = append(problems, fmt.Sprintf("%s has no label %s (labels: %v)", m[1], lm[1], labels))
			}
		}
	}
	var grouping []string
	for _, m := range groupingRE.FindAllStringSubmatch(expr, -1) {
		grouping = append(grouping, strings.Split(m[1], ",")...)
	}
	for _, m := range funcArgsRE.FindAllStringSubmatch(expr, -1) {
		grouping = append(grouping, m[1])
	}
	for _, l := range grouping {
		if l = strings.TrimSpace(l); l != "" && !labelsOf[l] {
			problems = append(problems, fmt.Sprintf("no metric of the expression has the label %s", l))
		}
	}
	if len(names) == 0 {
		problems = append(problems, "names no metric of the operator")
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCheckExpression(t *testing.T) {
	declared := map[string][]string{
		"crm_privacy_database_ready":                        {"namespace", "database"},
		"crm_privacy_requests_completed_total":              {"type", "on_time"},
		"crm_privacy_retention_run_duration_seconds_bucket": {"namespace", "policy", "le"},
	}
	tests := []struct {
		expr string
		want []string
	}{
		{`max by (namespace, database) (crm_privacy_database_ready{namespace=~"$namespace"}) == 0`, nil},
		{`histogram_quantile(0.9, sum by (le) (rate(crm_privacy_retention_run_duration_seconds_bucket[5m])))`, nil},
		{`label_values(crm_privacy_database_ready, namespace)`, nil},
		{`crm_privacy_database_redy == 0`, []string{"metric crm_privacy_database_redy is not declared by the operator"}},
		{`sum(crm_privacy_requests_completed_total{namespace="sales"})`, []string{"crm_privacy_requests_completed_total has no label namespace (labels: [type on_time])"}},
		{`sum by (namespace) (crm_privacy_requests_completed_total)`, []string{"no metric of the expression has the label namespace"}},
		{`label_values(crm_privacy_requests_completed_total, namespace)`, []string{"no metric of the expression has the label namespace"}},
		{`vector(1)`, []string{"names no metric of the operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, checkExpression(declared, tt.expr)); diff != "" {
				t.Errorf("checkExpression (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRulesAndDashboardUseDeclaredMetrics: every metric and label the alerting rules and
// the dashboard read is one the operator exports.
func TestRulesAndDashboardUseDeclaredMetrics(t *testing.T) {
	declared := declaredMetrics(t)
	queries := dashboardQueries(t)
	for name, r := range readRules(t, rulesFile).alerts() {
		queries["alert "+name] = r.Expr
	}
	where := make([]string, 0, len(queries))
	for w := range queries {
		where = append(where, w)
	}
	sort.Strings(where)
	for _, w := range where {
		for _, p := range checkExpression(declared, queries[w]) {
			t.Errorf("%s: %s\n\t%s", w, p, queries[w])
		}
	}
}

// TestAlertsAreDocumented: every alert has a severity, a summary, a description and a
// runbook_url pointing at its section of docs/operations.md.
func TestAlertsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "#") {
			anchors[githubAnchor(strings.TrimLeft(line, "# "))] = true
		}
	}
	// The table of alerts: | [`Name`](#anchor) | severity | for | … |
	table := map[string][2]string{}
	for _, m := range alertRowRE.FindAllStringSubmatch(string(doc), -1) {
		table[m[1]] = [2]string{m[2], strings.ReplaceAll(m[3], "—", "")}
	}
	const runbooks = "https://github.com/crm-privacy-operator/crm-privacy-operator/blob/main/docs/operations.md#"
	for name, r := range readRules(t, rulesFile).alerts() {
		if row, ok := table[name]; !ok || row != [2]string{r.Labels["severity"], r.For} {
			t.Errorf("%s: the table of docs/operations.md says %q; want severity %q, for %q", name, row, r.Labels["severity"], r.For)
		}
		if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: severity %q, summary %q, description %q; want all three", name, r.Labels["severity"], r.Annotations["summary"], r.Annotations["description"])
		}
		anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], runbooks)
		if !ok || anchor != strings.ToLower(name) || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q; want %s%s, a heading of docs/operations.md", name, r.Annotations["runbook_url"], runbooks, strings.ToLower(name))
		}
	}
}

// alertRowRE reads a row of the table of alerts in docs/operations.md.
var alertRowRE = regexp.MustCompile("(?m)^\\| \\[`(CRMPrivacy[A-Za-z]+)`\\]\\(#[a-z]+\\) \\| ([a-z]+) \\| ([^ |]+) \\|")

// githubAnchor is the anchor GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// promtool returns the path of promtool, which Debian's prometheus package installs.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed: run hack/test-deps.sh, or apt-get install -y --no-install-recommends prometheus")
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestAlertingRulesPromtool checks the rules and runs their unit tests
// (config/prometheus/rules_test.yaml) with promtool.
func TestAlertingRulesPromtool(t *testing.T) {
	p := promtool(t)
	run(t, p, "check", "rules", rulesFile)
	run(t, p, "test", "rules", rulesTestFile)
}

// TestDashboardQueriesParse: every query of the dashboard's panels is valid PromQL once
// Grafana's variables are replaced, as promtool checks it in a recording rule.
func TestDashboardQueriesParse(t *testing.T) {
	grafanaVars := strings.NewReplacer("$__rate_interval", "5m", "$__range", "1d", "$namespace", ".*")
	var rules []map[string]string
	for where, q := range dashboardQueries(t) {
		if strings.HasPrefix(where, "variable ") {
			continue // label_values(…) is Grafana's, not PromQL
		}
		rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard:query_%d", len(rules)), "expr": grafanaVars.Replace(q)})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, promtool(t), "check", "rules", path)
}

// helm returns the helm binary `make helm` builds (or $HELM).
func helm(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	p, err := filepath.Abs("../../bin/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("helm is not built: run `make helm` (bin/helm, pinned in hack/tools/helm/go.mod), or set HELM")
	}
	return p
}

// renderChart renders the chart with the given --set flags and returns its objects.
func renderChart(t *testing.T, sets ...string) []map[string]any {
	t.Helper()
	out, err := tryRenderChart(t, sets...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tryRenderChart(t *testing.T, sets ...string) ([]map[string]any, error) {
	t.Helper()
	args := []string{"template", "test", chartDir, "--namespace", "crm-privacy-system"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := exec.Command(helm(t), args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	var objs []map[string]any
	for doc := range strings.SplitSeq(string(out), "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

// find returns the rendered objects of a kind whose name ends with suffix.
func find(objs []map[string]any, kind, suffix string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if o["kind"] == kind && strings.HasSuffix(name, suffix) {
			out = append(out, o)
		}
	}
	return out
}

// renderedRules returns the groups of the one PrometheusRule of objs.
func renderedRules(t *testing.T, objs []map[string]any) ruleFile {
	t.Helper()
	prs := find(objs, "PrometheusRule", "")
	if len(prs) != 1 {
		t.Fatalf("%d PrometheusRules rendered, want 1", len(prs))
	}
	b, err := json.Marshal(prs[0]["spec"])
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestChartShipsTheRules: the chart renders no PrometheusRule by default; enabled, it ships
// exactly the groups of files/prometheus-rules.yaml, which pass promtool's checks and unit
// tests as rendered; the per-alert overrides and the extra labels apply.
func TestChartShipsTheRules(t *testing.T) {
	if prs := find(renderChart(t), "PrometheusRule", ""); len(prs) != 0 {
		t.Fatalf("a PrometheusRule is rendered by default: %v", prs)
	}
	source := readRules(t, rulesFile)
	objs := renderChart(t, "prometheusRule.enabled=true", "prometheusRule.labels.release=kube-prometheus-stack")
	got := renderedRules(t, objs)
	if diff := cmp.Diff(source, got); diff != "" {
		t.Errorf("the chart's PrometheusRule differs from %s (-file +rendered):\n%s", rulesFile, diff)
	}
	md := find(objs, "PrometheusRule", "")[0]["metadata"].(map[string]any)
	if md["namespace"] != "crm-privacy-system" || md["labels"].(map[string]any)["release"] != "kube-prometheus-stack" {
		t.Errorf("PrometheusRule metadata = %v; want the release namespace and the label release", md)
	}

	// The rules as rendered pass promtool's check and the same unit tests.
	dir := t.TempDir()
	b, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	rendered := filepath.Join(dir, "rendered-rules.yaml")
	if err := os.WriteFile(rendered, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tests), rulesTestRef) {
		t.Fatalf("%s does not test %s", rulesTestFile, rulesTestRef)
	}
	testsOfRendered := filepath.Join(dir, "rules_test.yaml")
	if err := os.WriteFile(testsOfRendered, []byte(strings.ReplaceAll(string(tests), rulesTestRef, rendered)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := promtool(t)
	run(t, p, "check", "rules", rendered)
	run(t, p, "test", "rules", testsOfRendered)

	// Overrides: a longer for and a higher severity, an alert dropped, a label on every alert.
	over := renderedRules(t, renderChart(t, "prometheusRule.enabled=true",
		"prometheusRule.alerts.CRMPrivacyDatabaseNotReady.for=30m",
		"prometheusRule.alerts.CRMPrivacyDatabaseNotReady.severity=critical",
		"prometheusRule.alerts.CRMPrivacyLIAReviewDue.enabled=false",
		"prometheusRule.additionalRuleLabels.team=privacy",
		"prometheusRule.additionalRuleLabels.severity=page")).alerts()
	want := source.alerts()
	delete(want, "CRMPrivacyLIAReviewDue")
	for name, r := range want {
		r.Labels = map[string]string{"severity": r.Labels["severity"], "team": "privacy"}
		want[name] = r
	}
	db := want["CRMPrivacyDatabaseNotReady"]
	db.For, db.Labels["severity"] = "30m", "critical"
	want["CRMPrivacyDatabaseNotReady"] = db
	if diff := cmp.Diff(want, over); diff != "" {
		t.Errorf("overridden rules (-want +rendered):\n%s", diff)
	}

	// A misspelt alert name fails the render rather than being ignored.
	if _, err := tryRenderChart(t, "prometheusRule.enabled=true", "prometheusRule.alerts.CRMPrivacyDBNotReady.for=1h"); err == nil ||
		!strings.Contains(err.Error(), "prometheusRule.alerts.CRMPrivacyDBNotReady: the chart has no alert of that name") {
		t.Errorf("an override of an unknown alert rendered: %v", err)
	}
}

// TestChartShipsTheDashboard: the chart renders no dashboard by default; enabled, a
// ConfigMap with the sidecar's label holds files/grafana-dashboard.json unchanged.
func TestChartShipsTheDashboard(t *testing.T) {
	if cms := find(renderChart(t), "ConfigMap", "-dashboard"); len(cms) != 0 {
		t.Fatalf("a dashboard ConfigMap is rendered by default: %v", cms)
	}
	source, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(source, &want); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sets      []string
		namespace string
		labels    map[string]string
	}{
		{[]string{"grafanaDashboard.enabled=true"}, "crm-privacy-system", map[string]string{"grafana_dashboard": "1"}},
		{[]string{"grafanaDashboard.enabled=true", "grafanaDashboard.namespace=monitoring", "grafanaDashboard.labels.grafana_dashboard=null",
			"grafanaDashboard.labels.dashboards=privacy", "grafanaDashboard.annotations.grafana_folder=Privacy"},
			"monitoring", map[string]string{"dashboards": "privacy"}},
	} {
		cms := find(renderChart(t, tt.sets...), "ConfigMap", "-dashboard")
		if len(cms) != 1 {
			t.Fatalf("%v: %d dashboard ConfigMaps rendered, want 1", tt.sets, len(cms))
		}
		md := cms[0]["metadata"].(map[string]any)
		labels := md["labels"].(map[string]any)
		for k, v := range tt.labels {
			if labels[k] != v {
				t.Errorf("%v: label %s = %v, want %q", tt.sets, k, labels[k], v)
			}
		}
		if _, ok := labels["grafana_dashboard"]; ok && tt.labels["grafana_dashboard"] == "" {
			t.Errorf("%v: the default sidecar label was not removed: %v", tt.sets, labels)
		}
		if md["namespace"] != tt.namespace {
			t.Errorf("%v: namespace %v, want %s", tt.sets, md["namespace"], tt.namespace)
		}
		data := cms[0]["data"].(map[string]any)
		var got any
		if err := json.Unmarshal([]byte(data["crm-privacy-operator.json"].(string)), &got); err != nil {
			t.Fatalf("%v: the dashboard in the ConfigMap does not parse: %v", tt.sets, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: the ConfigMap's dashboard differs from %s (-file +rendered):\n%s", tt.sets, dashboardFile, diff)
		}
	}
}

// TestServiceMonitorHonorsLabels: the ServiceMonitor keeps the metrics' namespace label
// (the object's namespace), which the rules and the dashboard read.
func TestServiceMonitorHonorsLabels(t *testing.T) {
	sms := find(renderChart(t, "metrics.serviceMonitor.enabled=true"), "ServiceMonitor", "")
	if len(sms) != 1 {
		t.Fatalf("%d ServiceMonitors rendered, want 1", len(sms))
	}
	eps := sms[0]["spec"].(map[string]any)["endpoints"].([]any)
	if h := eps[0].(map[string]any)["honorLabels"]; h != true {
		t.Errorf("honorLabels = %v, want true", h)
	}
}
