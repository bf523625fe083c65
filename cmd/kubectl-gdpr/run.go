package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func init() { subcommands = append(subcommands, newRunCommand) }

// runOptions are the flags of `kubectl gdpr run`.
type runOptions struct {
	wait    bool
	timeout time.Duration
	// now tells the time of the request; tests set it.
	now func() time.Time
}

func newRunCommand(opts *globalOptions) *cobra.Command {
	o := &runOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "run POLICY",
		Short: "Ask the operator for one run of a retention policy now, outside its schedule",
		Long: `run asks the operator for one run of a RetentionPolicy now, as
kubectl create job --from=cronjob/... does for a CronJob. It sets the annotation
privacy.crmoperator.io/run-requested-at to the current time (a merge patch: nothing else of
the policy changes, and a GitOps tool can set the same annotation).

The run is the policy's own: in its mode (a DryRun policy only counts), with every budget
check (a plan over budget erases nothing and waits for spec.approval, exactly as a scheduled
run). A run already in progress, a run waiting for an approval, or a scheduled run due at the
same time answers the request instead of a second run. A suspended policy refuses it. The
operator records its answer in status.lastRunRequest, and the run, with trigger Manual, in
status.lastRun and status.history.

Without --wait the command returns once the annotation is set. With --wait it waits until the
operator answers and the run ends, and prints its outcome.

Exit codes: 0 when the run succeeded (or the request was recorded, without --wait), 2 when
the run waits for an approval, stopped at its limit or stopped on a change, 1 on errors (a
refused request, a failed run, a timeout).`,
		Example: `  kubectl gdpr run prospects -n sales
  kubectl gdpr run prospects -n sales --wait --timeout 15m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			return runPolicy(cmd.Context(), c, cmd.OutOrStdout(), ns, args[0], o)
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the run ends and print its outcome")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long --wait waits")
	return cmd
}

// runPolicy requests the run and, with --wait, waits for its outcome.
func runPolicy(ctx context.Context, c client.Client, w io.Writer, ns, name string, o *runOptions) error {
	p := &privacyv1alpha1.RetentionPolicy{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
		return fmt.Errorf("while reading RetentionPolicy %s: %w", name, err)
	}
	requested := o.now().UTC().Format(time.RFC3339Nano)
	if err := setAnnotation(ctx, c, p, privacyv1alpha1.AnnotationRunRequestedAt, requested); err != nil {
		return err
	}
	mode := p.Spec.Mode
	if mode == "" {
		mode = privacyv1alpha1.ModeDryRun
	}
	fmt.Fprintf(w, "retentionpolicy.privacy.crmoperator.io/%s run requested at %s (mode %s)\n", name, requested, mode)
	if !o.wait {
		return nil
	}
	answer, err := waitRunAnswer(ctx, c, p, requested, o.timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "answered: %s", answer.Result)
	if answer.RunID != "" {
		fmt.Fprintf(w, " (run %s)", answer.RunID)
	}
	fmt.Fprintf(w, ": %s\n", answer.Message)
	switch answer.Result {
	case privacyv1alpha1.RunRequestRefused:
		return fmt.Errorf("the operator refused the run request: %s", answer.Message)
	case privacyv1alpha1.RunRequestAwaitingApproval:
		return &findingsError{msg: fmt.Sprintf("run %s waits for an approval: copy status.awaitingApproval's runID and specHash into spec.approval", answer.RunID)}
	}
	rec, err := waitRunRecord(ctx, c, p, answer.RunID, o.timeout)
	if err != nil {
		return err
	}
	printRunRecord(w, rec)
	return runOutcome(rec)
}

// waitRunAnswer waits until the operator answers the request made at requested.
func waitRunAnswer(ctx context.Context, c client.Reader, p *privacyv1alpha1.RetentionPolicy, requested string, timeout time.Duration) (*privacyv1alpha1.RunRequestStatus, error) {
	var answer *privacyv1alpha1.RunRequestStatus
	err := waitUntil(ctx, c, p, timeout, "the operator to answer the run request (is it running? `kubectl describe rp "+p.Name+"`)", func() (bool, error) {
		if a := p.Status.LastRunRequest; a != nil && a.RequestedAt == requested {
			answer = a.DeepCopy()
			return true, nil
		}
		return false, nil
	})
	return answer, err
}

// waitRunRecord waits until the run is recorded in status.history, ended.
func waitRunRecord(ctx context.Context, c client.Reader, p *privacyv1alpha1.RetentionPolicy, runID string, timeout time.Duration) (privacyv1alpha1.RunRecord, error) {
	var rec privacyv1alpha1.RunRecord
	err := waitUntil(ctx, c, p, timeout, "run "+runID+" to end", func() (bool, error) {
		for _, h := range p.Status.History {
			if h.RunID == runID && h.FinishedAt != nil {
				rec = h
				return true, nil
			}
		}
		return false, nil
	})
	return rec, err
}

// printRunRecord prints a run's outcome: its result and counts.
func printRunRecord(w io.Writer, rec privacyv1alpha1.RunRecord) {
	trigger := rec.Trigger
	if trigger == "" {
		trigger = privacyv1alpha1.TriggerSchedule
	}
	fmt.Fprintf(w, "run %s (%s, %s): %s\n", rec.RunID, rec.Mode, trigger, rec.Result)
	fmt.Fprintf(w, "  planned %d, erased %d, anonymised %d, held %d, failed %d\n", rec.Planned, rec.Erased, rec.Anonymized, rec.Held, rec.Failed)
	if rec.Message != "" {
		fmt.Fprintf(w, "  %s\n", rec.Message)
	}
}

// runOutcome maps a run's result to the command's exit: nil for a run that did all it was
// asked, a findingsError for one that stopped short, an error for a failure.
func runOutcome(rec privacyv1alpha1.RunRecord) error {
	switch rec.Result {
	case privacyv1alpha1.RunSucceeded, privacyv1alpha1.RunDryRun:
		return nil
	case privacyv1alpha1.RunFailed:
		return fmt.Errorf("run %s failed: %s", rec.RunID, rec.Message)
	}
	return &findingsError{msg: fmt.Sprintf("run %s ended %s: %s", rec.RunID, rec.Result, rec.Message)}
}
