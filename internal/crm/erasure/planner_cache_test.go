package erasure

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// A planner is reused by the next batch of the same Database and mapping once given back,
// never handed to two batches at once, and not reused for another mapping or after the
// Database's planners are forgotten (a failed batch).
func TestPlannerReuse(t *testing.T) {
	tdb := testdb.SQLite(t)
	crmtest.LoadSample(t, tdb.Open(t), crmtest.GenericSample(crm.EngineSQLite))
	db := crmtest.OpenCRM(t, tdb)
	ctx := crmtest.TestContext(t)
	m, _ := crm.Preset(crm.PresetGeneric)
	take := func(m crm.Mapping) (*planner, func()) {
		t.Helper()
		p, release, err := takePlanner(ctx, db, m)
		if err != nil {
			t.Fatal(err)
		}
		return p, release
	}

	p1, release1 := take(m)
	p2, release2 := take(m)
	if p1 == p2 {
		t.Fatal("two batches at once got the same planner")
	}
	release1()
	if p3, release3 := take(m); p3 != p1 {
		t.Error("the planner given back was not reused")
	} else {
		release3()
	}
	release2()

	other := m
	other.Dependents = nil
	if p4, _ := take(other); p4 == p1 || p4 == p2 {
		t.Error("a planner was reused for another mapping")
	}

	forgetPlanners(db)
	if p5, _ := take(m); p5 == p1 || p5 == p2 {
		t.Error("a planner was reused after the Database's planners were forgotten")
	}
}
