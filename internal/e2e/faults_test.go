package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Fault tests: each one breaks something the operator depends on in the middle of an
// enforced run, and then checks that nothing was lost or done twice — in the database
// (contacts and dependents left, one ledger row per erased contact, no subject twice, one
// run id) and in what the operator reports (status.lastRun, status.history).

// leaseName is the manager's leader-election Lease (cmd/manager).
const leaseName = "crm-privacy-operator.privacy.crmoperator.io"

// startedWorkers is what the manager logs when its RetentionPolicy controller starts: with
// leader election, only once it leads.
const startedWorkers = `"msg":"Starting workers","controller":"retentionpolicy"`

// waitFor polls cond every 100ms until it holds; after timeout the test fails with what,
// and the last detail cond gave.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, detail)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jsonPath reads one field of an object with kubectl.
func jsonPath(t *testing.T, ns, object, path string) string {
	t.Helper()
	return mustKubectl(t, "", "get", "-n", ns, object, "-o", "jsonpath="+path)
}

// condition reads status and reason of a condition of an object, "Status/Reason".
func condition(t *testing.T, ns, object, condType string) string {
	t.Helper()
	return jsonPath(t, ns, object, fmt.Sprintf(`{.status.conditions[?(@.type=="%s")].status}/{.status.conditions[?(@.type=="%s")].reason}`, condType, condType))
}

// retentionPolicy reads the test policy.
func retentionPolicy(t *testing.T, ns string) *privacyv1alpha1.RetentionPolicy {
	t.Helper()
	p := &privacyv1alpha1.RetentionPolicy{}
	if err := json.Unmarshal([]byte(mustKubectl(t, "", "get", "-n", ns, "retentionpolicy/prospects", "-o", "json")), p); err != nil {
		t.Fatalf("reading the RetentionPolicy: %v", err)
	}
	return p
}

// waitUnderWay waits until the run has erased some of the contacts, and far from all.
func waitUnderWay(t *testing.T, db *sql.DB, m *manager, expired, fresh int) {
	t.Helper()
	waitFor(t, 150*time.Second, "the run to get under way", func() (bool, string) {
		n := queryInt(t, db, "SELECT COUNT(*) FROM contacts")
		return n < expired+fresh-50 && n > fresh+expired/2, fmt.Sprintf("%d contacts left\n%s", n, m.log.String())
	})
}

// assertConsistent checks, at any moment, that every contact gone has its ledger row: both
// counted in one statement, so in one snapshot, while the run may go on.
func assertConsistent(t *testing.T, db *sql.DB, expired, fresh int) int {
	t.Helper()
	var left, ledger int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM contacts), (SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger)").Scan(&left, &ledger); err != nil {
		t.Fatal(err)
	}
	if erased := expired + fresh - left; ledger != erased {
		t.Fatalf("%d contacts erased but %d ledger rows", erased, ledger)
	}
	return ledger
}

// assertRunOnce checks a finished run that should have erased exactly the expired contacts
// (and their notes) once, under one run id, and the policy's report of it.
func assertRunOnce(t *testing.T, db *sql.DB, ns string, expired, fresh int) *privacyv1alpha1.RetentionPolicy {
	t.Helper()
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM contacts": fresh,
		"SELECT COUNT(*) FROM contacts WHERE last_contact_at < now() - interval '2 years'": 0,
		"SELECT COUNT(*) FROM notes":                                                      fresh,
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger":                     expired,
		"SELECT COUNT(DISTINCT subject_hmac) FROM crm_privacy.crm_privacy_erasure_ledger": expired,
		"SELECT COUNT(DISTINCT run_id) FROM crm_privacy.crm_privacy_erasure_ledger":       1,
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_sweep_checkpoint":                   0,
	} {
		if n := queryInt(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	// The ledger proves the erasure of exactly the expired contacts, 1..expired.
	rows, err := db.Query("SELECT subject_hmac FROM crm_privacy.crm_privacy_erasure_ledger")
	if err != nil {
		t.Fatal(err)
	}
	proven := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		proven[h] = true
	}
	_ = rows.Close()
	for id := 1; id <= expired; id++ {
		if !proven[erasure.SubjectHMAC(erasure.LedgerSubjectKey([]byte(ledgerKey)), strconv.Itoa(id))] {
			t.Errorf("the ledger has no row for erased contact %d", id)
			break
		}
	}
	var runID string
	if err := db.QueryRow("SELECT MIN(run_id) FROM crm_privacy.crm_privacy_erasure_ledger").Scan(&runID); err != nil {
		t.Fatal(err)
	}
	p := retentionPolicy(t, ns)
	run := p.Status.LastRun
	if run == nil || run.RunID != runID || run.Result != privacyv1alpha1.RunSucceeded || run.Erased != int64(expired) || run.Anonymized != 0 {
		t.Errorf("status.lastRun = %+v; want run %s Succeeded with %d erased, as in the ledger", run, runID, expired)
	}
	runs := 0
	for _, h := range p.Status.History {
		if h.RunID == runID {
			runs++
		}
	}
	if runs != 1 {
		t.Errorf("status.history holds run %s %d times, want once: %+v", runID, runs, p.Status.History)
	}
	return p
}

// restartAPIServer stops the API server as the kubelet stops a container (SIGTERM, SIGKILL
// after a grace period), keeps it down until the manager has failed to write a
// RetentionPolicy's status, and starts it again on the same port, certificates and etcd.
func restartAPIServer(t *testing.T, m *manager) {
	t.Helper()
	api := cluster.env.ControlPlane.APIServer
	port, err := strconv.Atoi(api.SecureServing.Port)
	if err != nil {
		t.Fatalf("API server port %q: %v", api.SecureServing.Port, err)
	}
	pid := listenerPID(t, port, "kube-apiserver")
	mark := len(m.log.String())
	down := time.Now()
	// kube-apiserver drains its watches for up to a minute on SIGTERM; a short grace keeps
	// the test quick and is what a node or pod eviction does anyway.
	killed := terminate(t, pid, 3*time.Second)
	// The process is gone: Stop only resets envtest's state, so that Start runs a new one.
	if err := api.Stop(); err != nil {
		t.Fatalf("resetting the stopped API server: %v", err)
	}
	// Down until a sweep slice of the RetentionPolicy controller has ended and failed to
	// record its progress (a slice lasts 15s at most): the status then lags the database.
	refused := fmt.Sprintf("127.0.0.1:%d: connect: connection refused", port)
	waitFor(t, 60*time.Second, "the manager to fail to record a sweep slice", func() (bool, string) {
		for _, line := range strings.Split(m.log.String()[mark:], "\n") {
			if strings.Contains(line, `"msg":"Reconciler error","controller":"retentionpolicy"`) && strings.Contains(line, refused) {
				return true, ""
			}
		}
		return false, m.log.String()[mark:]
	})
	if err := api.Start(); err != nil {
		t.Fatalf("starting the API server again: %v", err)
	}
	t.Logf("the API server was down for %s (SIGKILL after the grace period: %v)", time.Since(down).Round(time.Millisecond), killed)
}

func TestAPIServerRestartMidRun(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 3000, 10
	seed(t, tdb, expired, fresh)
	m := startManager(t)
	const ns = "e2e-apiserver"
	applyCRM(t, ns, tdb)
	mustKubectl(t, policy(1), "apply", "-n", ns, "-f", "-")
	db := tdb.Open(t)
	waitUnderWay(t, db, m, expired, fresh)

	restartAPIServer(t, m)
	assertConsistent(t, db, expired, fresh)
	mustKubectl(t, "", "wait", "-n", ns, "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=180s")
	assertRunOnce(t, db, ns, expired, fresh)
	if !m.running() {
		t.Errorf("the manager exited instead of riding out the API server's restart:\n%s", m.log.String())
	}
}

// randomPassword returns a password that cannot appear anywhere by chance.
func randomPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pw" + hex.EncodeToString(b)
}

// appRole creates a login role that owns the tables of tdb, as a CRM's application user
// would, and returns tdb as that role sees it. The role is dropped when the test ends.
func appRole(t *testing.T, tdb *testdb.Database, admin *sql.DB, password string) *testdb.Database {
	t.Helper()
	role := "crm_app_" + randomPassword(t)[2:10]
	tdb.Exec(t, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD '%s'`, role, password),
		fmt.Sprintf(`GRANT USAGE, CREATE ON SCHEMA public TO %q`, role),
		// The operator's own schema, crm_privacy, is created by the login it acts as.
		fmt.Sprintf(`GRANT CREATE ON DATABASE %q TO %q`, tdb.Name, role))
	rows, err := admin.Query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	_ = rows.Close()
	for _, table := range tables {
		tdb.Exec(t, fmt.Sprintf(`ALTER TABLE %q OWNER TO %q`, table, role))
	}
	t.Cleanup(func() {
		// After the managers are gone (registered before them); the database itself is
		// dropped by testdb afterwards.
		db, err := sql.Open(tdb.Driver, tdb.DSN)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, q := range []string{fmt.Sprintf(`DROP OWNED BY %q`, role), fmt.Sprintf(`DROP ROLE %q`, role)} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Logf("%s: %v", q, err)
			}
		}
	})
	app := *tdb
	app.User, app.Password = role, password
	app.DSN = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", role, password, tdb.Host, tdb.Port, tdb.Name)
	return &app
}

// loginError returns the error of logging in as the app role with password (nil when it
// works).
func loginError(app *testdb.Database, password string) error {
	db, err := sql.Open("pgx", fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", app.User, password, app.Host, app.Port, app.Name))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func TestSecretRotatedMidSweep(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 4000, 10
	seed(t, tdb, expired, fresh)
	admin := tdb.Open(t)
	passwords := []string{randomPassword(t), randomPassword(t), randomPassword(t)}
	app := appRole(t, tdb, admin, passwords[0])
	m := startManager(t)
	const ns = "e2e-rotate"
	applyCRM(t, ns, app)
	mustKubectl(t, policy(1), "apply", "-n", ns, "-f", "-")
	waitUnderWay(t, admin, m, expired, fresh)
	alterPassword := func(pw string) {
		t.Helper()
		tdb.Exec(t, fmt.Sprintf(`ALTER ROLE %q PASSWORD '%s'`, app.User, pw))
		app.Password = pw
	}

	// A rotation as a DBA does it: a new password for the role, then the Secret. The
	// sessions opened with the old password live on until the operator drops them.
	var rotatedAt time.Time
	if err := admin.QueryRow("SELECT clock_timestamp()").Scan(&rotatedAt); err != nil {
		t.Fatal(err)
	}
	alterPassword(passwords[1])
	mustKubectl(t, credentialsSecret(app), "apply", "-n", ns, "-f", "-")
	const sessions = `SELECT COUNT(*) FILTER (WHERE backend_start < $1), COUNT(*) FILTER (WHERE backend_start > $1)
		FROM pg_stat_activity WHERE usename = $2`
	waitFor(t, 60*time.Second, "the operator to replace its sessions with ones opened with the new password", func() (bool, string) {
		var old, renewed int
		if err := admin.QueryRow(sessions, rotatedAt, app.User).Scan(&old, &renewed); err != nil {
			t.Fatal(err)
		}
		return old == 0 && renewed > 0, fmt.Sprintf("%d sessions from before the rotation, %d after", old, renewed)
	})
	left := queryInt(t, admin, "SELECT COUNT(*) FROM contacts")
	waitFor(t, 60*time.Second, "the run to go on with the new password", func() (bool, string) {
		n := queryInt(t, admin, "SELECT COUNT(*) FROM contacts")
		return n < left-20 || n == fresh, fmt.Sprintf("%d contacts left", n)
	})
	assertConsistent(t, admin, expired, fresh)
	if queryInt(t, admin, "SELECT COUNT(*) FROM contacts") < fresh+500 {
		t.Fatalf("the run is too close to its end to rotate the password a second time")
	}

	// A rotation that ends the sessions first: the operator cannot log in until the
	// Secret follows, and says so.
	alterPassword(passwords[2])
	tdb.Exec(t, fmt.Sprintf(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '%s'`, app.User))
	waitFor(t, 60*time.Second, "the CRMDatabase to report the refused password", func() (bool, string) {
		c := condition(t, ns, "crmdatabase/crm-db", "Connected")
		return c == "False/AuthenticationFailed", c
	})
	failing := mustKubectl(t, "", "get", "-n", ns, "crmdatabase,retentionpolicy", "-o", "yaml")
	assertConsistent(t, admin, expired, fresh)
	mustKubectl(t, credentialsSecret(app), "apply", "-n", ns, "-f", "-")
	waitFor(t, 60*time.Second, "the CRMDatabase to connect again with the new Secret", func() (bool, string) {
		c := condition(t, ns, "crmdatabase/crm-db", "Ready")
		return c == "True/Reconciled", c
	})
	mustKubectl(t, "", "wait", "-n", ns, "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=180s")
	assertRunOnce(t, admin, ns, expired, fresh)
	if !m.running() {
		t.Fatalf("the manager restarted:\n%s", m.log.String())
	}

	// The old passwords no longer work, the new one does.
	for _, pw := range passwords[:2] {
		if err := loginError(app, pw); err == nil || !strings.Contains(err.Error(), "28P01") {
			t.Errorf("logging in with a rotated-out password: %v, want SQLSTATE 28P01", err)
		}
	}
	if err := loginError(app, passwords[2]); err != nil {
		t.Errorf("logging in with the current password: %v", err)
	}

	// No password anywhere the operator writes: its log, events, status.
	events := mustKubectl(t, "", "get", "events", "-n", ns, "-o", "yaml")
	if !strings.Contains(events, privacyv1alpha1.ReasonAuthenticationFailed) {
		t.Errorf("no %s event:\n%s", privacyv1alpha1.ReasonAuthenticationFailed, events)
	}
	written := map[string]string{
		"the manager's log":             m.log.String(),
		"the events":                    events,
		"the status while failing":      failing,
		"the status after the rotation": mustKubectl(t, "", "get", "-n", ns, "crmdatabase,retentionpolicy", "-o", "yaml"),
	}
	for where, text := range written {
		for i, pw := range passwords {
			if strings.Contains(text, pw) {
				t.Errorf("password %d appears in %s", i, where)
			}
		}
	}
}

func TestLeaderElectionFailover(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 3000, 10
	seed(t, tdb, expired, fresh)
	const ns, leaseNS = "e2e-leader", "e2e-leader-lease"
	mustKubectl(t, "", "create", "namespace", leaseNS)
	args := []string{"--leader-elect=true", "--leader-election-namespace=" + leaseNS,
		"--leader-election-lease-duration=8s", "--leader-election-renew-deadline=6s", "--leader-election-retry-period=1s"}
	managers := []*manager{startManager(t, args...), startManager(t, args...)}
	var leader, follower *manager
	waitFor(t, 60*time.Second, "one manager to lead", func() (bool, string) {
		a, b := strings.Contains(managers[0].log.String(), startedWorkers), strings.Contains(managers[1].log.String(), startedWorkers)
		switch {
		case a && b:
			t.Fatalf("both managers run their controllers:\n%s\n---\n%s", managers[0].log.String(), managers[1].log.String())
		case a:
			leader, follower = managers[0], managers[1]
		case b:
			leader, follower = managers[1], managers[0]
		}
		return leader != nil, "no manager leads yet"
	})
	holder := jsonPath(t, leaseNS, "lease/"+leaseName, "{.spec.holderIdentity}")
	applyCRM(t, ns, tdb)
	mustKubectl(t, policy(1), "apply", "-n", ns, "-f", "-")

	// Only the leader works: the follower runs no controller and never connects to the CRM.
	db := tdb.Open(t)
	samples, leaderConnected := 0, 0
	waitFor(t, 150*time.Second, "the leader to erase a third of the contacts", func() (bool, string) {
		n := queryInt(t, db, "SELECT COUNT(*) FROM contacts")
		if c := connectionsTo(t, follower.cmd.Process.Pid, tdb.Port); c != 0 {
			t.Fatalf("the follower has %d connection(s) to the database", c)
		}
		if connectionsTo(t, leader.cmd.Process.Pid, tdb.Port) > 0 {
			leaderConnected++
		}
		samples++
		return n < expired+fresh-expired/3, fmt.Sprintf("%d contacts left", n)
	})
	if leaderConnected == 0 || strings.Contains(follower.log.String(), startedWorkers) {
		t.Fatalf("the leader was connected in %d of %d samples; the follower started its controllers: %v",
			leaderConnected, samples, strings.Contains(follower.log.String(), startedWorkers))
	}

	t.Logf("the leader was connected to the database in %d of %d samples, the follower in none", leaderConnected, samples)
	leader.kill()
	killed := time.Now()
	erased := assertConsistent(t, db, expired, fresh)
	t.Logf("killed the leader after %d of %d erasures", erased, expired)
	waitFor(t, 60*time.Second, "the follower to take over", func() (bool, string) {
		return strings.Contains(follower.log.String(), startedWorkers), "it does not lead yet"
	})
	t.Logf("the follower took over %s after the leader died", time.Since(killed).Round(time.Millisecond))
	if now := jsonPath(t, leaseNS, "lease/"+leaseName, "{.spec.holderIdentity}"); now == holder || now == "" {
		t.Errorf("the Lease is held by %q, before by %q: want the follower", now, holder)
	}
	mustKubectl(t, "", "wait", "-n", ns, "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=180s")
	assertRunOnce(t, db, ns, expired, fresh)
	if !follower.running() {
		t.Errorf("the new leader exited:\n%s", follower.log.String())
	}
}

func TestMissedSchedulesCatchUpOnce(t *testing.T) {
	tdb := testdb.Postgres(t)
	const expired, fresh = 200, 10
	seed(t, tdb, expired, fresh)
	m := startManager(t)
	const ns = "e2e-missed"
	applyCRM(t, ns, tdb)
	// Hourly, at least 29 minutes away from now either way: no scheduled time passes
	// during the test.
	minute := (time.Now().UTC().Minute() + 30) % 60
	mustKubectl(t, scheduledPolicy(50, fmt.Sprintf("%d * * * *", minute)), "apply", "-n", ns, "-f", "-")
	waitFor(t, 60*time.Second, "the plan to be counted, with no run due", func() (bool, string) {
		pending, ready := jsonPath(t, ns, "retentionpolicy/prospects", "{.status.pending}"), condition(t, ns, "retentionpolicy/prospects", "Ready")
		return pending == strconv.Itoa(expired) && ready == "True/Reconciled", pending + " pending, Ready " + ready
	})
	db := tdb.Open(t)
	if n := queryInt(t, db, "SELECT COUNT(*) FROM contacts"); n != expired+fresh {
		t.Fatalf("%d contacts left before any scheduled time", n)
	}

	// The manager stops, and five scheduled times pass: as if it had last run five hours
	// ago (a clock that jumps five hours ahead is the same to the schedule).
	m.kill()
	now := time.Now().UTC()
	lastRan := now.Add(-5 * time.Hour)
	latest := now.Truncate(time.Hour).Add(time.Duration(minute) * time.Minute)
	if latest.After(now) {
		latest = latest.Add(-time.Hour)
	}
	mustKubectl(t, "", "patch", "-n", ns, "retentionpolicy/prospects", "--subresource=status", "--type=merge",
		"-p", fmt.Sprintf(`{"status":{"lastScheduledAt":%q}}`, lastRan.Format(time.RFC3339)))
	startManager(t)
	mustKubectl(t, "", "wait", "-n", ns, "--for=jsonpath={.status.lastRun.result}=Succeeded", "retentionpolicy/prospects", "--timeout=120s")
	p := assertRunOnce(t, db, ns, expired, fresh)
	if want := latest.Format("20060102T150405Z") + "-"; !strings.HasPrefix(p.Status.LastRun.RunID, want) {
		t.Errorf("the catch-up run is %s, want the latest missed time %s…", p.Status.LastRun.RunID, want)
	}
	if len(p.Status.History) != 1 {
		t.Errorf("status.history has %d runs, want the one catch-up run: %+v", len(p.Status.History), p.Status.History)
	}
	if p.Status.LastScheduledAt == nil || !p.Status.LastScheduledAt.Time.Equal(latest) {
		t.Errorf("status.lastScheduledAt = %v, want %s", p.Status.LastScheduledAt, latest)
	}

	// No second run follows: new expired contacts wait for the next scheduled time. A
	// change of spec makes the manager reconcile the policy at once; its status shows the
	// pass.
	const more = 30
	tdb.Exec(t, fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
		SELECT g, 'p' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years', now() - interval '3 years'
		FROM generate_series(%d, %d) g`, expired+fresh+1, expired+fresh+more))
	generation := p.Generation + 1
	mustKubectl(t, "", "patch", "-n", ns, "retentionpolicy/prospects", "--type=merge", "-p", `{"spec":{"batchSize":25}}`)
	waitFor(t, 60*time.Second, "the manager to reconcile the changed policy", func() (bool, string) {
		p := retentionPolicy(t, ns)
		return p.Status.ObservedGeneration == generation, fmt.Sprintf("generation %d, observed %d", p.Generation, p.Status.ObservedGeneration)
	})
	if n := queryInt(t, db, "SELECT COUNT(*) FROM contacts"); n != fresh+more {
		t.Errorf("%d contacts left, want %d: a second run erased before its scheduled time", n, fresh+more)
	}
	if pending := jsonPath(t, ns, "retentionpolicy/prospects", "{.status.pending}"); pending != strconv.Itoa(more) {
		t.Errorf("status.pending = %s, want the %d new contacts", pending, more)
	}
	if n := queryInt(t, db, "SELECT COUNT(DISTINCT run_id) FROM crm_privacy.crm_privacy_erasure_ledger"); n != 1 {
		t.Errorf("the ledger holds %d runs, want 1", n)
	}
	if p := retentionPolicy(t, ns); len(p.Status.History) != 1 {
		t.Errorf("status.history has %d runs, want 1: %+v", len(p.Status.History), p.Status.History)
	}
}
