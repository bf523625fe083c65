package erasure

import (
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// keySet is how the statements of a batch name its contact keys. On PostgreSQL, integer
// keys travel as one array parameter, "col = ANY(?::bigint[])": the server parses and
// binds one parameter instead of thousands, and the planner either walks the column's
// index once for the sorted keys or, on a small table, scans it with a hashed lookup of
// the keys. (Joining unnest(?) instead made the planner hash whole tables for every batch
// of 100,000 contacts.) Elsewhere, and for keys that are not integers, the keys are an
// IN list of parameters.
type keySet struct {
	keys  []any
	array []int64 // non-nil: PostgreSQL, every key an integer
}

func newKeySet(e crm.Engine, keys []any) keySet {
	k := keySet{keys: keys}
	if e != crm.EnginePostgres || len(keys) == 0 {
		return k
	}
	ints := make([]int64, len(keys))
	for i, v := range keys {
		n, ok := v.(int64)
		if !ok {
			return k
		}
		ints[i] = n
	}
	k.array = ints
	return k
}

// match appends "<col> = ANY(?::bigint[])" or "<col> IN (?, …)".
func (k keySet) match(s *crm.SQLText, col string) {
	if k.array != nil {
		s.W(col, " = ANY(").Arg(k.array).W("::bigint[])")
		return
	}
	s.W(col, " IN ")
	inKeys(s, k.keys)
}
