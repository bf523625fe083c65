package controllers_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// BenchmarkManagerLoad puts 1,000 ProcessingActivities and 1,000 RetentionPolicies (DryRun,
// one CRM database) into one namespace and measures how long the manager takes to
// reconcile them all (every status current: observedGeneration = generation, plan
// counted), and the process's heap and peak RSS afterwards. Control plane, manager and
// test client share the process, so the RSS is an upper bound for the manager.
func BenchmarkManagerLoad(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tdb := testdb.SQLite(b)
		tdb.LoadFile(b, sampleSchema("generic-sqlite.sql"))
		tdb.Exec(b, "INSERT INTO contacts (email, contact_type, lifecycle_stage, created_at) VALUES ('a@example.test', 'B2B', 'prospect', '2020-01-01 00:00:00+00:00')")
		ns := newNamespace(b)
		db := newCRMDatabase(b, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
		waitDatabaseReady(b, db)
		ctx := context.Background()
		sample := loadSampleActivity(b)
		b.StartTimer()
		start := time.Now()
		for j := 0; j < n; j++ {
			pa := sample.DeepCopy()
			pa.Name, pa.Namespace = fmt.Sprintf("activity-%04d", j), ns
			pa.Spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}}
			if err := k8s.Create(ctx, pa); err != nil {
				b.Fatal(err)
			}
			spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)
			spec.ProcessingActivityRef.Name = privacyv1alpha1.ObjectName(pa.Name)
			spec.Schedule = "0 3 * * *"
			rp := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("policy-%04d", j)}, Spec: spec}
			if err := k8s.Create(ctx, rp); err != nil {
				b.Fatal(err)
			}
		}
		created := time.Since(start)
		waitAllCurrent(b, ns, n)
		b.StopTimer()
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(created.Seconds(), "create_s")
		b.ReportMetric(time.Since(start).Seconds(), "all_current_s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap_inuse_MiB")
		b.ReportMetric(vmHWM(b), "peak_rss_MiB")
	}
}

// waitAllCurrent waits until every policy and activity in ns has a status for its
// current generation.
func waitAllCurrent(b *testing.B, ns string, n int) {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		rps := &privacyv1alpha1.RetentionPolicyList{}
		pas := &privacyv1alpha1.ProcessingActivityList{}
		if err := k8s.List(context.Background(), rps, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if err := k8s.List(context.Background(), pas, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		current := 0
		for _, p := range rps.Items {
			if p.Status.ObservedGeneration == p.Generation && p.Status.Pending != nil {
				current++
			}
		}
		for _, p := range pas.Items {
			if p.Status.ObservedGeneration == p.Generation {
				current++
			}
		}
		if current == 2*n {
			return
		}
		time.Sleep(time.Second)
	}
	b.Fatalf("the statuses of %d objects did not become current within 10 minutes", 2*n)
}

func vmHWM(b *testing.B) float64 {
	text, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
