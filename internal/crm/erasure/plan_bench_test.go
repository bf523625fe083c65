package erasure

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// planCountRounds is how many times each count runs, alternating which goes first.
const planCountRounds = 5

// BenchmarkPlanVsCount compares the DryRun count (CountPlan) with a hand-written
// SELECT count(*) of the same predicate, on the data of BenchmarkSweepVsSetDelete (its
// settings BENCH_CONTACTS and BENCH_ENGINES apply). Both run planCountRounds times,
// alternating; reported: the median rate of each (contacts examined per second) and the
// ratio of the plan's to the hand-written count's.
func BenchmarkPlanVsCount(b *testing.B) {
	for _, be := range benchEngines(b) {
		for _, n := range benchSizes(b) {
			b.Run(fmt.Sprintf("engine=%s/contacts=%d", be.name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchmarkPlanCount(b, be, n)
				}
			})
		}
	}
}

func benchmarkPlanCount(b *testing.B, be benchEngine, n int) {
	b.StopTimer()
	ctx := context.Background()
	tdb := be.open(b)
	admin := tdb.Open(b)
	be.generate(b, admin, n)
	db := openBenchCRM(b, tdb)
	m, _ := crm.Preset(crm.PresetGeneric)
	plan := benchPlan()
	cutoff := plan.Rules[0].Cutoff
	var hand, planned []time.Duration
	handCount := func() {
		start := time.Now()
		var got int64
		if err := admin.QueryRowContext(ctx, be.count, countArgs(be.engine, cutoff)...).Scan(&got); err != nil {
			b.Fatal(err)
		}
		hand = append(hand, time.Since(start))
		if got != int64(n/2) {
			b.Fatalf("the hand-written count is %d, want %d", got, n/2)
		}
	}
	planCount := func() {
		b.StartTimer()
		start := time.Now()
		counts, err := CountPlan(ctx, db, m, plan)
		planned = append(planned, time.Since(start))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(counts) != 1 || counts[0].Pending != int64(n/2) || counts[0].Held != 0 {
			b.Fatalf("CountPlan: %+v, want %d pending", counts, n/2)
		}
	}
	for r := 0; r < planCountRounds; r++ {
		if r%2 == 0 {
			handCount()
			planCount()
		} else {
			planCount()
			handCount()
		}
	}
	slices.Sort(hand)
	slices.Sort(planned)
	h, p := hand[len(hand)/2], planned[len(planned)/2]
	b.Logf("%s, %d contacts: hand-written count %v (median of %d), CountPlan %v", be.name, n, h, planCountRounds, p)
	b.ReportMetric(float64(n)/h.Seconds(), "count_rows/s")
	b.ReportMetric(float64(n)/p.Seconds(), "plan_rows/s")
	b.ReportMetric(h.Seconds()/p.Seconds(), "ratio")
}
