package register

import (
	"testing"
	"time"
)

// buildEncode is one register computation as the operator runs it: document from the
// objects, canonical form, hash, diff, snapshot.
func buildEncode(tb testing.TB, objs Objects) Revision {
	doc, err := FromObjects(objs)
	if err != nil {
		tb.Fatal(err)
	}
	rev, _, err := Next(nil, doc, time.Unix(0, 0), SourceRevision(doc, nil))
	if err != nil {
		tb.Fatal(err)
	}
	return rev
}

// BenchmarkBuildHash1000 measures one register revision of 1,000 processing activities:
// build from the API objects, canonicalise, hash, diff and encode. Run with
// go test -run '^$' -bench BuildHash1000 ./internal/register/
func BenchmarkBuildHash1000(b *testing.B) {
	objs := Objects{ProcessingActivities: generateActivities(1000)}
	b.ReportAllocs()
	var rev Revision
	for b.Loop() {
		rev = buildEncode(b, objs)
	}
	raw, err := DecodeBytes(rev.Encoding, rev.Data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(raw)), "canonical-bytes")
	b.ReportMetric(float64(len(rev.Data)), "snapshot-bytes")
}

// The snapshot of 1,000 realistic activities must fit well inside the 1 MiB a revision may
// hold, and one revision must take well under a second (the figure of DESIGN.md §6, with a
// wide margin so that a loaded CI machine does not fail it: this is a guard against a
// regression by an order of magnitude, the benchmark gives the real figure).
func TestRevisionOf1000Activities(t *testing.T) {
	objs := Objects{ProcessingActivities: generateActivities(1000)}
	start := time.Now()
	rev := buildEncode(t, objs)
	elapsed := time.Since(start)
	raw, err := DecodeBytes(rev.Encoding, rev.Data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 activities: canonical JSON %d bytes, snapshot (%s) %d bytes, %d changes, computed in %v", len(raw), rev.Encoding, len(rev.Data), rev.ChangeCount, elapsed)
	const budget = MaxSnapshotData / 4
	if rev.Encoding != EncodingGzipBase64 || len(rev.Data) > budget {
		t.Errorf("snapshot of 1,000 activities is %d bytes (%s), want compressed and at most %d", len(rev.Data), rev.Encoding, budget)
	}
	if rev.ChangeCount != 1000 || len(rev.Changes) != 1000 {
		t.Errorf("first revision counts %d changes and lists %d, want 1000 added", rev.ChangeCount, len(rev.Changes))
	}
	if elapsed > 5*time.Second {
		t.Errorf("one revision of 1,000 activities took %v", elapsed)
	}
}

// BenchmarkNextOneChange1000 measures the common case after the first revision: one
// activity's purpose changed among 1,000, so Next decodes the latest snapshot, diffs and
// encodes.
func BenchmarkNextOneChange1000(b *testing.B) {
	activities := generateActivities(1000)
	latest := buildEncode(b, Objects{ProcessingActivities: activities})
	activities[500].Spec.Purposes = []string{"Upselling to existing customers"}
	objs := Objects{ProcessingActivities: activities}
	b.ReportAllocs()
	for b.Loop() {
		doc, err := FromObjects(objs)
		if err != nil {
			b.Fatal(err)
		}
		rev, ok, err := Next(&latest, doc, time.Unix(60, 0), "")
		if err != nil || !ok || rev.ChangeCount != 1 {
			b.Fatalf("Next: ok=%v err=%v changes=%d, want one change", ok, err, rev.ChangeCount)
		}
	}
}

// BenchmarkNextUnchanged1000 measures what a restart or a status-only event costs: build and
// hash 1,000 activities, find the hash unchanged, write nothing.
func BenchmarkNextUnchanged1000(b *testing.B) {
	objs := Objects{ProcessingActivities: generateActivities(1000)}
	latest := buildEncode(b, objs)
	b.ReportAllocs()
	for b.Loop() {
		doc, err := FromObjects(objs)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := Next(&latest, doc, time.Unix(60, 0), ""); err != nil || ok {
			b.Fatalf("Next on an unchanged register: ok=%v err=%v", ok, err)
		}
	}
}
