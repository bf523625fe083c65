package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// Options are the settings shared by every controller.
type Options struct {
	// MaxConcurrentReconciles is how many objects each controller reconciles in parallel.
	MaxConcurrentReconciles int
	// RecheckInterval is how often external state (database reachability, schema, grants)
	// is checked again when nothing changed in the cluster.
	RecheckInterval time.Duration
	// RegisterHistoryLimit is how many RegisterRevisions are kept; 0 keeps every one.
	RegisterHistoryLimit int
	// Clock tells the time; nil means the real clock. Tests set a fake one.
	Clock clock.WithTicker
	// OperatorKey is the operator's own secret (at least crm.MinSecretBytes random bytes),
	// which only the operator holds: the rows it keeps in CRM databases (sweep checkpoints,
	// role and login markers) carry MACs under keys derived from it, and a row whose MAC
	// does not verify is never acted on. Required.
	OperatorKey []byte
	// AllowedDatabaseHosts restricts the database servers the operator connects to
	// (--allowed-database-hosts); nil allows every host.
	AllowedDatabaseHosts *crm.HostAllowList
	// FindingsExportRetention is how long a ProcessingActivity's findings export Secret
	// lives (--findings-export-retention); zero means DefaultFindingsExportRetention.
	FindingsExportRetention time.Duration
	// PolicyReports writes each ProcessingActivity's compliance findings as a PolicyReport
	// (wgpolicyk8s.io/v1alpha2) while that API is installed (--policy-reports).
	PolicyReports bool
}

// Env is what every controller shares: the manager's client and scheme, the options, the
// clock, and the connections to the CRM databases, which only the CRMDatabase controller
// opens and closes and every other controller reads through Connections.Ready.
type Env struct {
	Manager     ctrl.Manager
	Options     Options
	Clock       clock.WithTicker
	Connections *Connections
	// Recorder emits Kubernetes events (events.k8s.io/v1): Eventf(object, nil, type, reason,
	// action, note, args...). Notes carry counts and names of objects, never personal data.
	Recorder events.EventRecorder
}

// setups lists the controllers of the operator. Each registers itself with the manager.
var setups = []struct {
	name  string
	setup func(*Env) error
}{
	{"crmdatabase", setupCRMDatabase},
	{"retentionpolicy", setupRetentionPolicy},
	{"legitimateinterestassessment", setupLegitimateInterestAssessment},
	{"processingactivity", setupProcessingActivity},
	{"register", setupRegister},
	{"accessrole", setupAccessRole},
	{"databreach", setupDataBreach},
	{"datasubjectrequest", setupDataSubjectRequest},
	{"changepreview", setupChangePreview},
	{"policyreport", setupPolicyReports},
}

// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers every controller of the operator with the manager, and a
// runnable that closes the database pools when the manager stops.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 1
	}
	if opts.RecheckInterval <= 0 {
		opts.RecheckInterval = DefaultRecheckInterval
	}
	opKeys, err := crm.NewOperatorKeys(opts.OperatorKey)
	if err != nil {
		return err
	}
	pools := crm.NewPools().RestrictHosts(opts.AllowedDatabaseHosts)
	pools.SetOperatorKeys(opKeys)
	env := &Env{Manager: mgr, Options: opts, Clock: opts.Clock, Connections: NewConnections(pools),
		Recorder: mgr.GetEventRecorder(EventSource)}
	if env.Clock == nil {
		env.Clock = clock.RealClock{}
	}
	if err := indexFields(mgr); err != nil {
		return err
	}
	for _, s := range setups {
		if err := s.setup(env); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", s.name, err)
		}
	}
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return env.Connections.CloseAll()
	}))
}

// EventSource is the reporting controller name on the operator's events.
const EventSource = "crm-privacy-operator"

// DefaultRecheckInterval is how often databases are checked when the flag is not set.
const DefaultRecheckInterval = 30 * time.Second
