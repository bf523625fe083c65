package register

import (
	"testing"
)

// TestSubjectActivitiesSource: an Access answer tells the person where their data come
// from (Art. 15(1)(g)), from each activity's spec.dataSources; an activity that names none
// gives no source.
func TestSubjectActivitiesSource(t *testing.T) {
	acts, err := SubjectActivities(fixtureObjects(), fixtureCreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"newsletter":        "newsletter sign-up form on the website; the person",
		"b2b-prospecting":   "trade fair badge scans; purchased list from Leadhouse GmbH",
		"customer-accounts": "",
	}
	got := map[string]string{}
	for _, a := range acts {
		got[a.Name] = a.Source
	}
	if len(got) != len(want) {
		t.Fatalf("activities %v, want those of %v", got, want)
	}
	for name, src := range want {
		if s, ok := got[name]; !ok || s != src {
			t.Errorf("activity %s: source %q (present %v), want %q", name, s, ok, src)
		}
	}
}
