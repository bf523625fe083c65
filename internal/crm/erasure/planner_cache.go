package erasure

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// plannerTTL is how long a sweep reuses a planner, and so the catalog it read (the mapped
// tables' columns and types), from one batch to the next. Building one reads the catalog:
// about 60 ms per batch on MariaDB, whose information_schema is slow.
const plannerTTL = time.Minute

// plannerKey identifies what a planner was built for: one Database and one mapping.
type plannerKey struct {
	db      *crm.Database
	mapping string // the mapping as JSON
}

type cachedPlanner struct {
	p     *planner
	built time.Time
}

// idlePlanners holds, per plannerKey, a planner no batch is using. A planner fills its
// table cache as it goes, so a batch takes it out (LoadAndDelete) and puts it back when it
// succeeded: two batches never share one. A batch that fails does not put it back, so the
// next batch reads the catalog again.
var idlePlanners sync.Map // plannerKey → cachedPlanner

// takePlanner returns a planner for the mapping, reusing an idle one built less than
// plannerTTL ago, and the function that gives it back once the batch has succeeded.
func takePlanner(ctx context.Context, db *crm.Database, m crm.Mapping) (*planner, func(), error) {
	text, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	key := plannerKey{db: db, mapping: string(text)}
	dropExpiredPlanners()
	if v, ok := idlePlanners.LoadAndDelete(key); ok {
		if c := v.(cachedPlanner); time.Since(c.built) < plannerTTL {
			return c.p, func() { idlePlanners.Store(key, c) }, nil
		}
	}
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		return nil, nil, err
	}
	c := cachedPlanner{p: p, built: time.Now()}
	return p, func() { idlePlanners.Store(key, c) }, nil
}

// forgetPlanners drops the idle planners of a Database (it is being closed, or its
// catalog may have changed).
func forgetPlanners(db *crm.Database) {
	idlePlanners.Range(func(k, _ any) bool {
		if k.(plannerKey).db == db {
			idlePlanners.Delete(k)
		}
		return true
	})
}

// dropExpiredPlanners drops the idle planners past plannerTTL, so that the planners of
// Databases no longer used do not stay.
func dropExpiredPlanners() {
	idlePlanners.Range(func(k, v any) bool {
		if time.Since(v.(cachedPlanner).built) >= plannerTTL {
			idlePlanners.Delete(k)
		}
		return true
	})
}
