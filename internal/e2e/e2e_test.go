package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// cluster is the control plane, the built binaries and the kubeconfig shared by the tests.
var cluster struct {
	kubeconfig, kubectl, manager, plugin, root string
	env                                        *envtest.Environment
}

func TestMain(m *testing.M) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test-e2e`, or KUBEBUILDER_ASSETS=$(hack/envtest.sh) go test ./internal/e2e/")
		os.Exit(1)
	}
	teardown, err := setUp(assets)
	if err != nil {
		teardown()
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	// testdb.Main stops the database servers after the tests and does not return.
	testdb.Main(runner(func() int {
		code := m.Run()
		teardown()
		return code
	}))
}

// setUp builds the binaries and starts the control plane; teardown undoes what was done.
func setUp(assets string) (teardown func(), err error) {
	var undo []func()
	teardown = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dir, err := os.MkdirTemp("", "crm-e2e-")
	if err != nil {
		return teardown, err
	}
	undo = append(undo, func() { _ = os.RemoveAll(dir) })
	cluster.root, cluster.kubectl = root, filepath.Join(assets, "kubectl")
	cluster.manager, cluster.plugin = filepath.Join(dir, "manager"), filepath.Join(dir, "kubectl-gdpr")
	for bin, pkg := range map[string]string{cluster.manager: "./cmd/manager", cluster.plugin: "./cmd/kubectl-gdpr"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return teardown, fmt.Errorf("building %s: %w\n%s", pkg, err, out)
		}
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	// A certificate directory of our own, not a temporary one envtest removes when the API
	// server stops: restartAPIServer starts it again with the same serving certificate, so
	// that the kubeconfig of kubectl and of the managers stays valid.
	certs := filepath.Join(dir, "apiserver")
	if err := os.Mkdir(certs, 0o700); err != nil {
		return teardown, err
	}
	env.ControlPlane.GetAPIServer().CertDir = certs
	if _, err := env.Start(); err != nil {
		return teardown, fmt.Errorf("starting the control plane: %w", err)
	}
	undo = append(undo, func() { _ = env.Stop() })
	cluster.env = env
	user, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return teardown, err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return teardown, err
	}
	cluster.kubeconfig = filepath.Join(dir, "kubeconfig")
	return teardown, os.WriteFile(cluster.kubeconfig, kc, 0o600)
}

type runner func() int

func (r runner) Run() int { return r() }

// manager is a running manager binary.
type manager struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

// startManager starts the manager binary without leader election; args are added after
// the defaults, so they may override them.
func startManager(t *testing.T, args ...string) *manager {
	t.Helper()
	log := &syncBuffer{}
	cmd := exec.Command(cluster.manager, append([]string{"--kubeconfig", cluster.kubeconfig, "--leader-elect=false",
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--recheck-interval=5s"}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the manager: %v", err)
	}
	m := &manager{cmd: cmd, log: log, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.exited) }()
	t.Cleanup(func() { m.kill() })
	return m
}

// kill stops the manager with SIGKILL: no graceful shutdown, as a crashed node would.
func (m *manager) kill() {
	if m.running() {
		_ = m.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-m.exited
}

// running says whether the process is still alive.
func (m *manager) running() bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// syncBuffer is the manager's output, safe to read while the process writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// kubectl runs the real kubectl (or the plugin, as "gdpr ...") and returns its output.
func kubectl(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	bin := cluster.kubectl
	if len(args) > 0 && args[0] == "gdpr" {
		bin, args = cluster.plugin, args[1:]
	}
	cmd := exec.Command(bin, append([]string{"--kubeconfig", cluster.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustKubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := kubectl(t, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// ledgerKey is the HMAC key of the erasure ledger of every test database.
const ledgerKey = "e2e-ledger-hmac-key-0123456789abcdef0123456789"

// credentialsSecret is the connection Secret of the CRMDatabase, for tdb's user and password.
func credentialsSecret(tdb *testdb.Database) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: crm-db-credentials}
stringData: {host: %q, port: %q, user: %q, password: %q, database: %q}
`, tdb.Host, strconv.Itoa(tdb.Port), tdb.User, tdb.Password, tdb.Name)
}

// applyCRM creates namespace ns with the Secrets and CRMDatabase for a PostgreSQL test
// database, and the samples' LIA and activity, and waits for the CRMDatabase to be Ready.
func applyCRM(t *testing.T, ns string, tdb *testdb.Database) {
	t.Helper()
	mustKubectl(t, "", "create", "namespace", ns)
	applyDatabase(t, ns, "postgres", tdb)
}

// seed loads the generic schema with expired prospects 1..expired and fresh ones after.
func seed(t *testing.T, tdb *testdb.Database, expired, fresh int) {
	t.Helper()
	tdb.LoadFile(t, filepath.Join(cluster.root, "config", "samples", "crm", "generic-postgres.sql"))
	tdb.Exec(t, fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
		SELECT g, 'p' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years',
		       CASE WHEN g <= %d THEN now() - interval '3 years' ELSE now() END
		FROM generate_series(1, %d) g`, expired, expired+fresh),
		"INSERT INTO notes (contact_id, body) SELECT id, 'note' FROM contacts")
}

// policy is an enforced policy on the prospects, due at the next minute.
func policy(batch int) string { return scheduledPolicy(batch, "* * * * *") }

// scheduledPolicy is the enforced policy on the prospects with a cron schedule.
func scheduledPolicy(batch int, schedule string) string {
	return fmt.Sprintf(`apiVersion: privacy.crmoperator.io/v1alpha1
kind: RetentionPolicy
metadata: {name: prospects}
spec:
  databaseRef: {name: crm-db}
  processingActivityRef: {name: sales-prospecting}
  schedule: %q
  mode: Enforce
  batchSize: %d
  budget: {maxDeletionPercent: 100}
  rules:
    - name: prospects
      selector: {matchExpressions: [{field: lifecycleStage, operator: In, values: [prospect]}]}
      retainFor: 24m
      renewedBy: {kinds: [call]}
      action: Delete
`, schedule, batch)
}

func queryInt(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestEnforcedRunWithRealKubectlAndPlugin(t *testing.T) {
	tdb := testdb.Postgres(t)
	seed(t, tdb, 300, 20)
	startManager(t)
	applyCRM(t, "e2e-run", tdb)
	mustKubectl(t, policy(50), "apply", "-n", "e2e-run", "-f", "-")
	mustKubectl(t, "", "wait", "-n", "e2e-run", "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=150s")

	db := tdb.Open(t)
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM contacts":                                                   20,
		"SELECT COUNT(*) FROM notes":                                                      20,
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger":                     300,
		"SELECT COUNT(DISTINCT subject_hmac) FROM crm_privacy.crm_privacy_erasure_ledger": 300,
	} {
		if n := queryInt(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	out := mustKubectl(t, "", "gdpr", "plan", "-n", "e2e-run")
	if !strings.Contains(out, "prospects") {
		t.Errorf("kubectl gdpr plan:\n%s", out)
	}
	// The register controller writes the first revision after it saw the objects; kubectl
	// wait on a name that does not exist yet fails at once unless it waits for its creation.
	mustKubectl(t, "", "wait", "--for=create", "registerrevision/register-000001", "--timeout=60s")
	mustKubectl(t, "", "wait", "--for=jsonpath={.spec.revision}", "registerrevision/register-000001", "--timeout=60s")
	if out, err := kubectl(t, "", "gdpr", "register", "verify"); err != nil {
		t.Errorf("kubectl gdpr register verify: %v\n%s", err, out)
	}
	if out := mustKubectl(t, "", "gdpr", "register", "export", "--format", "markdown"); !strings.Contains(out, "sales-prospecting") {
		t.Errorf("the export lacks the activity:\n%.2000s", out)
	}
}

func TestManagerKilledMidSweepResumesExactly(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 4000, 25
	seed(t, tdb, expired, fresh)
	m := startManager(t)
	applyCRM(t, "e2e-kill", tdb)
	mustKubectl(t, policy(1), "apply", "-n", "e2e-kill", "-f", "-")

	db := tdb.Open(t)
	deadline := time.Now().Add(150 * time.Second)
	for {
		n := queryInt(t, db, "SELECT COUNT(*) FROM contacts")
		if n < expired+fresh-100 && n > fresh+1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not get under way (%d contacts left)\n%s", n, m.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.kill()
	left := queryInt(t, db, "SELECT COUNT(*) FROM contacts")
	ledger := queryInt(t, db, "SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger")
	if erased := expired + fresh - left; ledger != erased {
		t.Fatalf("right after SIGKILL: %d erased but %d ledger rows", erased, ledger)
	}
	t.Logf("killed the manager after %d of %d erasures", ledger, expired)

	startManager(t)
	mustKubectl(t, "", "wait", "-n", "e2e-kill", "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=180s")
	assertRunOnce(t, db, "e2e-kill", expired, fresh)
}

func TestTwoManagersNeverSweepOnePolicyAtOnce(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 2000, 10
	seed(t, tdb, expired, fresh)
	// Two replicas without leader election: only the lock in the database keeps them apart.
	startManager(t)
	startManager(t)
	applyCRM(t, "e2e-two", tdb)
	mustKubectl(t, policy(2), "apply", "-n", "e2e-two", "-f", "-")

	db := tdb.Open(t)
	holders, samples := 0, 0
	deadline := time.Now().Add(200 * time.Second)
	for queryInt(t, db, "SELECT COUNT(*) FROM contacts") > fresh {
		n := queryInt(t, db, "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
		holders = max(holders, n)
		samples++
		if time.Now().After(deadline) {
			t.Fatal("the run did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if holders != 1 {
		t.Errorf("at most %d sessions held a sweep lock at once over %d samples, want exactly 1", holders, samples)
	}
	mustKubectl(t, "", "wait", "-n", "e2e-two", "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=120s")
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger":                     expired,
		"SELECT COUNT(DISTINCT subject_hmac) FROM crm_privacy.crm_privacy_erasure_ledger": expired,
		"SELECT COUNT(*) FROM notes": fresh,
	} {
		if n := queryInt(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}
