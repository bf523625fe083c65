package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// newlyActedOn is how many contacts the candidate policy would erase and anonymise now that
// the live state would not: nothing for a candidate in DryRun (it erases nothing); for a
// rule the live policy also enforces with the same action and criteria (comparable), only
// what the candidate adds to the live figure; otherwise the candidate's whole figure.
func (a policyAnswer) newlyActedOn() (erase, anonymise int64) {
	ans := a.Answer
	if ans == nil || ans.Mode != privacyv1alpha1.ModeEnforce {
		return 0, 0
	}
	liveEnforced := ans.LiveCounted && ans.LiveMode == privacyv1alpha1.ModeEnforce
	for _, r := range ans.Rules {
		if r.Pending == nil {
			continue
		}
		n := *r.Pending
		if liveEnforced && r.Comparable && r.LivePending != nil {
			n -= *r.LivePending
		}
		if n <= 0 {
			continue
		}
		if r.Action == privacyv1alpha1.ActionAnonymize {
			anonymise += n
		} else {
			erase += n
		}
	}
	return erase, anonymise
}

// widens says whether the candidate AccessRole lets someone see or do more than the live one.
func (a roleAnswer) widens() bool {
	ans := a.Answer
	if ans == nil {
		return false
	}
	return len(ans.PrivilegesGained) > 0 || len(ans.MembersGained) > 0 ||
		ans.RowFilter == privacyv1alpha1.RowFilterRemoved || ans.RowFilter == privacyv1alpha1.RowFilterChanged
}

// totals sums what the whole change does.
type previewTotals struct {
	erase, anonymise int64
	widening         []string
	unanswered       int
}

func (r *previewReport) totals() previewTotals {
	var t previewTotals
	for _, p := range r.Policies {
		e, a := p.newlyActedOn()
		t.erase += e
		t.anonymise += a
		if p.Unanswered != "" {
			t.unanswered++
		}
	}
	for _, a := range r.Roles {
		if a.widens() {
			t.widening = append(t.widening, a.Namespace+"/"+a.Name)
		}
		if a.Unanswered != "" {
			t.unanswered++
		}
	}
	return t
}

// summary is the one line that says what the change does.
func (r *previewReport) summary() string {
	t := r.totals()
	var parts []string
	switch {
	case t.erase > 0 || t.anonymise > 0:
		parts = append(parts, fmt.Sprintf("would erase %d and anonymise %d contact(s) now that the live policies would not", t.erase, t.anonymise))
	default:
		parts = append(parts, "erases no contact the live policies would not")
	}
	switch len(t.widening) {
	case 0:
		parts = append(parts, "widens no access")
	default:
		parts = append(parts, "widens access in AccessRole "+strings.Join(t.widening, ", "))
	}
	if t.unanswered > 0 {
		parts = append(parts, fmt.Sprintf("%d object(s) could not be evaluated", t.unanswered))
	}
	parts = append(parts, fmt.Sprintf("%d register change(s)", len(r.Register)))
	return fmt.Sprintf("%d RetentionPolicy(ies), %d AccessRole(s): ", len(r.Policies), len(r.Roles)) + strings.Join(parts, "; ")
}

// findings is the command's outcome: a findingsError when the change erases or anonymises
// contacts the live state would not, widens access, or could not be evaluated.
func (r *previewReport) findings() error {
	t := r.totals()
	if t.erase > 0 || t.anonymise > 0 || len(t.widening) > 0 || t.unanswered > 0 {
		return &findingsError{msg: "the change needs review: " + r.summary()}
	}
	return nil
}

// writePreview prints the report as text or Markdown.
func writePreview(w io.Writer, r *previewReport, format string) error {
	bw := bufio.NewWriter(w)
	if format == previewMarkdown {
		writePreviewMarkdown(bw, r)
	} else {
		writePreviewText(bw, r)
	}
	return bw.Flush()
}

func countOrNone(n *int64) string {
	if n == nil {
		return "none"
	}
	return strconv.FormatInt(*n, 10)
}

// verb is what a rule does to the contacts it selects.
func verb(a privacyv1alpha1.RetentionAction) string {
	if a == privacyv1alpha1.ActionAnonymize {
		return "anonymise"
	}
	return "erase"
}

// liveState words how the live object relates to the candidate.
func liveState(exists bool) string {
	if exists {
		return "changed"
	}
	return "new"
}

func privilegeText(p privacyv1alpha1.PrivilegePreview) string {
	if p.Column != "" {
		return fmt.Sprintf("%s (%s) on %s", p.Privilege, p.Column, p.Table)
	}
	return fmt.Sprintf("%s on %s", p.Privilege, p.Table)
}

// accessLines are the changes of one AccessRole, marked + (gained) and - (lost).
func accessLines(a *privacyv1alpha1.AccessPreview) []string {
	var out []string
	for _, p := range a.PrivilegesGained {
		out = append(out, "+ "+privilegeText(p))
	}
	for _, p := range a.PrivilegesLost {
		out = append(out, "- "+privilegeText(p))
	}
	for _, m := range a.MembersGained {
		out = append(out, "+ member "+m)
	}
	for _, m := range a.MembersLost {
		out = append(out, "- member "+m)
	}
	if a.RowFilter != "" && a.RowFilter != privacyv1alpha1.RowFilterUnchanged {
		out = append(out, "~ row filter "+strings.ToLower(string(a.RowFilter)))
	}
	return out
}

func writePreviewText(w io.Writer, r *previewReport) {
	fmt.Fprintf(w, "Summary: %s.\n", r.summary())
	for _, p := range r.Policies {
		fmt.Fprintf(w, "\nRetentionPolicy %s/%s (database %s)\n", p.Namespace, p.Name, p.Database)
		if p.Unanswered != "" {
			fmt.Fprintf(w, "  not evaluated: %s\n", p.Unanswered)
			continue
		}
		a := p.Answer
		fmt.Fprintf(w, "  %s; mode %s (live: %s); %s contact(s) in the database\n", liveState(a.LiveExists), a.Mode, orDash(string(a.LiveMode)), countOrNone(a.TotalContacts))
		if a.LiveMessage != "" {
			fmt.Fprintf(w, "  live policy not counted: %s\n", a.LiveMessage)
		}
		for _, rule := range a.Rules {
			if rule.Pending == nil {
				fmt.Fprintf(w, "  %s (%s): removed (live: would %s %s, held %s)\n", rule.Name, rule.Action, verb(rule.Action), countOrNone(rule.LivePending), countOrNone(rule.LiveHeld))
				continue
			}
			fmt.Fprintf(w, "  %s (%s): would %s %d (live: %s), held %d (live: %s)\n", rule.Name, rule.Action, verb(rule.Action),
				*rule.Pending, countOrNone(rule.LivePending), *rule.Held, countOrNone(rule.LiveHeld))
		}
	}
	for _, a := range r.Roles {
		fmt.Fprintf(w, "\nAccessRole %s/%s\n", a.Namespace, a.Name)
		if a.Unanswered != "" {
			fmt.Fprintf(w, "  not evaluated: %s\n", a.Unanswered)
			continue
		}
		lines := accessLines(a.Answer)
		fmt.Fprintf(w, "  %s; %d change(s) of access\n", liveState(a.Answer.LiveExists), len(lines))
		for _, l := range lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	fmt.Fprintf(w, "\nRegister (Art. 30 record): %d change(s)\n", len(r.Register))
	_ = writeChangeLines(w, r.Register)
	if r.Ignored > 0 {
		fmt.Fprintf(w, "\n%d document(s) of other kinds were not previewed.\n", r.Ignored)
	}
}

// md escapes a value for Markdown text or a table cell.
func md(s string) string { return register.EscapeMarkdown(s) }

func writePreviewMarkdown(w io.Writer, r *previewReport) {
	fmt.Fprintf(w, "### kubectl gdpr preview\n\n**Summary:** %s.\n", md(r.summary()))
	for _, p := range r.Policies {
		fmt.Fprintf(w, "\n#### RetentionPolicy `%s/%s`\n\n", p.Namespace, p.Name)
		if p.Unanswered != "" {
			fmt.Fprintf(w, "**Not evaluated:** %s\n", md(p.Unanswered))
			continue
		}
		a := p.Answer
		fmt.Fprintf(w, "%s policy on CRMDatabase `%s`: mode **%s** (live: %s), %s contacts in the database.\n",
			capitalizeFirst(liveState(a.LiveExists)), p.Database, a.Mode, orDash(string(a.LiveMode)), countOrNone(a.TotalContacts))
		if a.LiveMessage != "" {
			fmt.Fprintf(w, "\nThe live policy was not counted: %s\n", md(a.LiveMessage))
		}
		fmt.Fprint(w, "\n| Rule | Action | Would act on now | Live policy now | Held | Live held |\n|---|---|--:|--:|--:|--:|\n")
		for _, rule := range a.Rules {
			now, held := countOrNone(rule.Pending), countOrNone(rule.Held)
			if rule.Pending == nil {
				now, held = "removed", "-"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", md(string(rule.Name)), rule.Action, now, countOrNone(rule.LivePending), held, countOrNone(rule.LiveHeld))
		}
	}
	for _, a := range r.Roles {
		fmt.Fprintf(w, "\n#### AccessRole `%s/%s`\n\n", a.Namespace, a.Name)
		if a.Unanswered != "" {
			fmt.Fprintf(w, "**Not evaluated:** %s\n", md(a.Unanswered))
			continue
		}
		lines := accessLines(a.Answer)
		fmt.Fprintf(w, "%s role: %d change(s) of access.\n", capitalizeFirst(liveState(a.Answer.LiveExists)), len(lines))
		if len(lines) == 0 {
			continue
		}
		fmt.Fprint(w, "\n| Change | Privilege or member |\n|---|---|\n")
		for _, l := range lines {
			mark, what, _ := strings.Cut(l, " ")
			fmt.Fprintf(w, "| %s | %s |\n", map[string]string{"+": "gained", "-": "lost", "~": "changed"}[mark], md(what))
		}
	}
	fmt.Fprintf(w, "\n#### Register (Art. 30 record): %d change(s)\n", len(r.Register))
	if len(r.Register) > 0 {
		fmt.Fprint(w, "\n```diff\n")
		_ = writeChangeLines(w, r.Register)
		fmt.Fprint(w, "```\n")
	}
	if r.Ignored > 0 {
		fmt.Fprintf(w, "\n%d document(s) of other kinds were not previewed.\n", r.Ignored)
	}
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
