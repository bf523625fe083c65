package register

import "testing"

// TestRuleTextOfAMinimizeRule: a data minimisation rule has no term; the register must not
// describe it as kept "after last contact" (issue 15, point 8).
func TestRuleTextOfAMinimizeRule(t *testing.T) {
	rule := map[string]any{
		"name": "private-fields", "minimize": true, "since": "LastContact", "action": "Anonymize",
		"anonymize": []any{map[string]any{"field": "birthDate", "strategy": "Null"}},
	}
	want := "private-fields: kept for no time (data minimisation), then anonymised (birthDate → Null)"
	if got := ruleText(newPicker(rule)); got != want {
		t.Errorf("ruleText = %q\nwant       %q", got, want)
	}
	rule = map[string]any{"name": "prospects", "retainFor": "24m", "action": "Delete"}
	if got, want := ruleText(newPicker(rule)), "prospects: 24 months after last contact, then deleted"; got != want {
		t.Errorf("ruleText = %q, want %q", got, want)
	}
}
