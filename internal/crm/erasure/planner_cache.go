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

// idlePlanners holds, per plannerKey, the planners no batch is using. A planner fills its
// table cache as it goes, so a batch takes one out and puts it back when it succeeded: two
// batches never share one, and a run's workers each find one of their own. A batch that
// fails does not put it back, so the next batch reads the catalog again.
var idlePlanners = struct {
	sync.Mutex
	m map[plannerKey][]cachedPlanner
}{m: map[plannerKey][]cachedPlanner{}}

// maxIdlePlanners bounds the idle planners kept per Database and mapping: one per worker
// of a run, and a few runs of the same mapping at once.
const maxIdlePlanners = 8

// takePlanner returns a planner for the mapping, reusing an idle one built less than
// plannerTTL ago, and the function that gives it back once the batch has succeeded.
func takePlanner(ctx context.Context, db *crm.Database, m crm.Mapping) (*planner, func(), error) {
	text, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	key := plannerKey{db: db, mapping: string(text)}
	if c, ok := popIdlePlanner(key); ok {
		return c.p, func() { putIdlePlanner(key, c) }, nil
	}
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		return nil, nil, err
	}
	c := cachedPlanner{p: p, built: time.Now()}
	return p, func() { putIdlePlanner(key, c) }, nil
}

// popIdlePlanner takes the newest idle planner of key still within plannerTTL, dropping
// every expired one on the way.
func popIdlePlanner(key plannerKey) (cachedPlanner, bool) {
	idlePlanners.Lock()
	defer idlePlanners.Unlock()
	dropExpiredPlanners()
	list := idlePlanners.m[key]
	if len(list) == 0 {
		return cachedPlanner{}, false
	}
	c := list[len(list)-1]
	if len(list) == 1 {
		delete(idlePlanners.m, key)
	} else {
		idlePlanners.m[key] = list[:len(list)-1]
	}
	return c, true
}

// putIdlePlanner gives a planner back, unless maxIdlePlanners are already idle.
func putIdlePlanner(key plannerKey, c cachedPlanner) {
	idlePlanners.Lock()
	defer idlePlanners.Unlock()
	if list := idlePlanners.m[key]; len(list) < maxIdlePlanners {
		idlePlanners.m[key] = append(list, c)
	}
}

// forgetPlanners drops the idle planners of a Database (it is being closed, or its
// catalog may have changed).
func forgetPlanners(db *crm.Database) {
	idlePlanners.Lock()
	defer idlePlanners.Unlock()
	for k := range idlePlanners.m {
		if k.db == db {
			delete(idlePlanners.m, k)
		}
	}
}

// dropExpiredPlanners drops the idle planners past plannerTTL, so that the planners of
// Databases no longer used do not stay. The caller holds idlePlanners' lock.
func dropExpiredPlanners() {
	for k, list := range idlePlanners.m {
		kept := list[:0]
		for _, c := range list {
			if time.Since(c.built) < plannerTTL {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			delete(idlePlanners.m, k)
		} else {
			idlePlanners.m[k] = kept
		}
	}
}
