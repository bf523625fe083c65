package register

import (
	"fmt"
	"sort"
)

// ProblemReason names what Verify found wrong with a revision.
type ProblemReason string

const (
	// SnapshotUnreadable: the snapshot cannot be decoded or parsed.
	SnapshotUnreadable ProblemReason = "SnapshotUnreadable"
	// ContentHashMismatch: the snapshot does not hash to the content hash (edited out of band).
	ContentHashMismatch ProblemReason = "ContentHashMismatch"
	// ChainBroken: the previous hash is not the chain hash of the revision before (a revision
	// removed, reordered, renumbered, or a hash, time or source revision edited).
	ChainBroken ProblemReason = "ChainBroken"
	// NotConsecutive: a revision number is missing, repeated, or not positive.
	NotConsecutive ProblemReason = "NotConsecutive"
	// ChangesMismatch: the recorded changes are not the diff between the two snapshots.
	ChangesMismatch ProblemReason = "ChangesMismatch"
	// HistoryMissing: the oldest revision present is above 1 and above the history start
	// recorded by the latest revision: revisions were deleted that no history limit of the
	// operator allowed it to delete.
	HistoryMissing ProblemReason = "HistoryMissing"
	// HistoryStartInvalid: a revision's history start is above its own number, or below the
	// history start of the revision before (it never decreases).
	HistoryStartInvalid ProblemReason = "HistoryStartInvalid"
)

// Problem is one thing Verify found wrong with a revision.
type Problem struct {
	Revision int64
	Reason   ProblemReason
	Message  string
}

// String gives the problem as a line for people: "revision 3: ContentHashMismatch: …".
func (p Problem) String() string {
	return fmt.Sprintf("revision %d: %s: %s", p.Revision, p.Reason, p.Message)
}

// Verify recomputes every content hash and every link of the chain and returns what is
// wrong, sorted by revision number; none when the history is intact. The revisions may come
// in any order. The oldest one is the anchor: revision 1 must have no previous hash, and an
// oldest revision above 1 is accepted only when the latest revision records a history start
// (HistoryStart) at or above it — the operator pruned the ones before under its history
// limit. Revisions missing at the start of the chain without such a record were deleted by
// someone else, and are a HistoryMissing problem. The record sits in the latest revision's
// spec, which only its creator could write and nobody can change: deleting revisions can only
// lower the history start that verify reads, never raise it.
func Verify(revs []Revision) []Problem {
	sorted := append([]Revision(nil), revs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	var problems []Problem
	var prev *Revision
	var prevDoc *Document
	for i := range sorted {
		rev := &sorted[i]
		doc, ps := verifyContent(rev)
		problems = append(problems, ps...)
		problems = append(problems, verifyLink(prev, rev)...)
		problems = append(problems, verifyHistoryStart(prev, rev)...)
		if doc != nil && (prev == nil && rev.Number == 1 || prev != nil && prevDoc != nil && rev.Number == prev.Number+1) {
			problems = append(problems, verifyChanges(rev, prevDoc, doc)...)
		}
		prev, prevDoc = rev, doc
	}
	if len(sorted) > 0 {
		oldest, latest := sorted[0], sorted[len(sorted)-1]
		if oldest.Number > latest.Start() {
			how := "the latest revision records no history limit (the whole history is kept)"
			if latest.Start() > 1 {
				how = fmt.Sprintf("the latest revision, %d, lets the history limit prune only the revisions before %d", latest.Number, latest.Start())
			}
			problems = append(problems, Problem{Revision: oldest.Number, Reason: HistoryMissing, Message: fmt.Sprintf(
				"the chain starts at revision %d, but %s: revisions %d to %d were deleted out of band", oldest.Number, how, latest.Start(), oldest.Number-1)})
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Revision < problems[j].Revision })
	return problems
}

// verifyContent checks that the snapshot decodes, hashes to the content hash and parses.
func verifyContent(rev *Revision) (*Document, []Problem) {
	problem := func(reason ProblemReason, format string, args ...any) []Problem {
		return []Problem{{Revision: rev.Number, Reason: reason, Message: fmt.Sprintf(format, args...)}}
	}
	b, err := DecodeBytes(rev.Encoding, rev.Data)
	if err != nil {
		return nil, problem(SnapshotUnreadable, "%v", err)
	}
	if got := HashBytes(b); got != rev.ContentHash {
		return nil, problem(ContentHashMismatch, "the snapshot hashes to %s, the revision says %s: the snapshot or the content hash was changed after it was written", got, rev.ContentHash)
	}
	doc, err := Parse(b)
	if err != nil {
		return nil, problem(SnapshotUnreadable, "%v", err)
	}
	return doc, nil
}

// verifyLink checks the revision number and previous hash against the revision before.
func verifyLink(prev, rev *Revision) []Problem {
	var out []Problem
	add := func(reason ProblemReason, format string, args ...any) {
		out = append(out, Problem{Revision: rev.Number, Reason: reason, Message: fmt.Sprintf(format, args...)})
	}
	if prev == nil {
		if rev.Number < 1 {
			add(NotConsecutive, "revision numbers start at 1")
		}
		if rev.Number == 1 && rev.PreviousHash != "" {
			add(ChainBroken, "revision 1 has previous hash %s, want none", rev.PreviousHash)
		}
		return out
	}
	switch {
	case rev.Number == prev.Number:
		add(NotConsecutive, "revision %d appears more than once", rev.Number)
	case rev.Number != prev.Number+1:
		add(NotConsecutive, "revision %d follows revision %d: revisions %d to %d are missing", rev.Number, prev.Number, prev.Number+1, rev.Number-1)
	}
	if want := prev.ChainHash(); rev.PreviousHash != want {
		add(ChainBroken, "previous hash is %s, the chain hash of revision %d is %s", orNone(rev.PreviousHash), prev.Number, want)
	}
	return out
}

// verifyHistoryStart checks that the history start is not above the revision and does not
// decrease from the revision before.
func verifyHistoryStart(prev, rev *Revision) []Problem {
	var out []Problem
	if rev.HistoryStart > rev.Number {
		out = append(out, Problem{Revision: rev.Number, Reason: HistoryStartInvalid,
			Message: fmt.Sprintf("history start %d is above the revision itself", rev.Start())})
	}
	if prev != nil && rev.Start() < prev.Start() {
		out = append(out, Problem{Revision: rev.Number, Reason: HistoryStartInvalid,
			Message: fmt.Sprintf("history start %d is below %d, the history start of revision %d: it never decreases", rev.Start(), prev.Start(), prev.Number)})
	}
	return out
}

// verifyChanges checks that the recorded changes are the diff between the snapshots.
func verifyChanges(rev *Revision, prevDoc, doc *Document) []Problem {
	want := Diff(prevDoc, doc)
	count := int64(len(want))
	if len(want) > MaxChanges {
		want = want[:MaxChanges]
	}
	if count == rev.ChangeCount && sameChanges(want, rev.Changes) {
		return nil
	}
	return []Problem{{
		Revision: rev.Number,
		Reason:   ChangesMismatch,
		Message: fmt.Sprintf("the revision counts %d changes and lists %d, the snapshots differ by %d (%s)",
			rev.ChangeCount, len(rev.Changes), count, firstDifference(want, rev.Changes)),
	}}
}

// sameChanges compares two change lists, ignoring their order and nil against empty fields.
func sameChanges(a, b []Change) bool {
	if len(a) != len(b) {
		return false
	}
	as, bs := sortedChanges(a), sortedChanges(b)
	for i := range as {
		x, y := as[i], bs[i]
		if x.Key() != y.Key() || x.Type != y.Type || len(x.Fields) != len(y.Fields) {
			return false
		}
		for j := range x.Fields {
			if x.Fields[j] != y.Fields[j] {
				return false
			}
		}
	}
	return true
}

// firstDifference describes the first change present in one list and not the other.
func firstDifference(want, got []Change) string {
	gotSet := map[string]bool{}
	for _, c := range got {
		gotSet[changeID(c)] = true
	}
	wantSet := map[string]bool{}
	for _, c := range sortedChanges(want) {
		wantSet[changeID(c)] = true
		if !gotSet[changeID(c)] {
			return "missing: " + changeID(c)
		}
	}
	for _, c := range sortedChanges(got) {
		if !wantSet[changeID(c)] {
			return "not in the snapshots: " + changeID(c)
		}
	}
	return "same changes, listed differently"
}

func changeID(c Change) string {
	return fmt.Sprintf("%s %s %v", c.Type, c.Key(), c.Fields)
}

func sortedChanges(cs []Change) []Change {
	out := append([]Change(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key().less(out[j].Key()) })
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
