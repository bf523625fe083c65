package controllers_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// uniqueRole returns a role or user name no other test uses (roles are server-wide).
func uniqueRole(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

func waitAccessRole(t testing.TB, ar *privacyv1alpha1.AccessRole, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	return waitCondition(t, ar, func() []metav1.Condition { return ar.Status.Conditions }, condType, status, reason, 60*time.Second)
}

func designation(from time.Time, until *time.Time) *privacyv1alpha1.Designation {
	d := &privacyv1alpha1.Designation{DesignatedBy: "head of sales", DesignatedAt: metav1.NewTime(from), InstructedAt: metav1.NewTime(from)}
	if until != nil {
		u := metav1.NewTime(*until)
		d.ValidUntil = &u
	}
	return d
}

func createPasswordSecret(t *testing.T, ns, name, password string) *privacyv1alpha1.SecretKeySelector {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"password": []byte(password)}}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return &privacyv1alpha1.SecretKeySelector{Name: privacyv1alpha1.ObjectName(name), Key: "password"}
}

func pgLogin(t *testing.T, tdb *testdb.Database, user, password string) (*sql.DB, error) {
	t.Helper()
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: fmt.Sprintf("%s:%d", tdb.Host, tdb.Port),
		Path: "/" + tdb.Name, RawQuery: "sslmode=disable&connect_timeout=5"}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, db.Ping()
}

func mariaLogin(t *testing.T, tdb *testdb.Database, user, password string) (*sql.DB, error) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", fmt.Sprintf("%s:%d", tdb.Host, tdb.Port), tdb.Name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, db.Ping()
}

func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) ([]string, error) {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func memberStatus(ar *privacyv1alpha1.AccessRole, user string) privacyv1alpha1.MemberStatus {
	for _, m := range ar.Status.Members {
		if string(m.User) == user {
			return m
		}
	}
	return privacyv1alpha1.MemberStatus{}
}

func TestAccessRolePostgresEndToEnd(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type) VALUES ('a@b2b.example', 'B2B'), ('b@b2c.example', 'B2C')")
	admin := tdb.Open(t)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)

	role, alice, bob := uniqueRole("crm_sales"), uniqueRole("alice"), uniqueRole("bob")
	t.Cleanup(func() {
		for _, r := range []string{role, alice, bob} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	now := time.Now()
	// Alice's designation ends in an hour: the manager's clock is the real one, so
	// TestAccessRolePostgresEndToEndDesignationExpiry plays the end on a clock of its own.
	expiry := now.Add(time.Hour)
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales"},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "b2b-prospecting"},
			Grants: []privacyv1alpha1.TableGrant{
				{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}, Columns: []privacyv1alpha1.SQLIdentifier{"id", "email", "contact_type"}},
				{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}},
			},
			RowFilter: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: privacyv1alpha1.FieldContactType, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"B2B"}}}},
			Members: []privacyv1alpha1.RoleMember{
				{User: privacyv1alpha1.SQLIdentifier(alice), PasswordSecretRef: createPasswordSecret(t, ns, "alice-pw", "alice's pw"), Designation: designation(now.Add(-time.Hour), &expiry)},
				{User: privacyv1alpha1.SQLIdentifier(bob), PasswordSecretRef: createPasswordSecret(t, ns, "bob-pw", "bob-pw")},
			},
			ReclaimPolicy: privacyv1alpha1.ReclaimDelete,
		},
	}
	if err := k8s.Create(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, ar, privacyv1alpha1.TypeInSync, metav1.ConditionTrue, "")
	waitAccessRole(t, ar, privacyv1alpha1.TypeMembersDesignated, metav1.ConditionFalse, privacyv1alpha1.ReasonDesignationMissing)
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonDesignationMissing)
	if ar.Status.Granted != 4 || ar.Status.ActiveMembers != 1 || ar.Status.LastAuditAt == nil || len(ar.Finalizers) != 1 {
		t.Errorf("status granted %d, active %d, audited %v, finalizers %v; want 4, 1, a time, the finalizer",
			ar.Status.Granted, ar.Status.ActiveMembers, ar.Status.LastAuditAt, ar.Finalizers)
	}
	if m := memberStatus(ar, bob); m.State != privacyv1alpha1.MemberSuspended || m.Reason != privacyv1alpha1.ReasonDesignationMissing {
		t.Errorf("bob's status %+v, want Suspended DesignationMissing", m)
	}

	// Alice logs in and sees the B2B contacts only; bob, never designated, cannot log in.
	aliceDB, err := pgLogin(t, tdb, alice, "alice's pw")
	if err != nil {
		t.Fatalf("alice cannot log in: %v", err)
	}
	emails, err := queryStrings(t, aliceDB, "SELECT email FROM contacts")
	if err != nil || len(emails) != 1 || emails[0] != "a@b2b.example" {
		t.Errorf("alice sees %v (%v), want only the B2B contact", emails, err)
	}
	if _, err := pgLogin(t, tdb, bob, "bob-pw"); err == nil {
		t.Error("bob logs in without a designation")
	}

	// A table-level SELECT granted out of band is revoked at the next re-check.
	if _, err := admin.Exec(fmt.Sprintf(`GRANT SELECT ON contacts TO %q`, role)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the out-of-band grant to be revoked", func() (bool, error) {
		var has bool
		err := admin.QueryRow("SELECT has_table_privilege($1, 'contacts', 'SELECT')", role).Scan(&has)
		return err == nil && !has, err
	})
	eventually(t, 10*time.Second, "a DriftCorrected warning", func() (bool, error) {
		for _, e := range findEvents(t, ns, ar.Name, privacyv1alpha1.ReasonDriftCorrected) {
			if e.Type == corev1.EventTypeWarning {
				return true, nil
			}
		}
		return false, nil
	})

	// Deleting with reclaimPolicy Delete drops the role.
	if err := k8s.Delete(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the AccessRole to go", func() (bool, error) {
		err := k8s.Get(context.Background(), key(ar), ar)
		return apierrors.IsNotFound(err), nil
	})
	var roles int
	if err := admin.QueryRow("SELECT count(*) FROM pg_roles WHERE rolname = $1", role).Scan(&roles); err != nil || roles != 0 {
		t.Errorf("the role is still there after deletion (%v)", err)
	}
}

// roleMembers counts the members of a PostgreSQL role, but the operator's own login.
func roleMembers(t *testing.T, admin *sql.DB, role string) int {
	t.Helper()
	var members int
	if err := admin.QueryRow("SELECT count(*) FROM pg_auth_members WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND member <> (SELECT oid FROM pg_roles WHERE rolname = current_user)", role).Scan(&members); err != nil {
		t.Fatalf("counting the members of %s: %v", role, err)
	}
	return members
}

// TestAccessRolePostgresEndToEndDesignationExpiry plays the end of a member's designation on
// a clock the test moves: the test reconciles the AccessRole and its CRMDatabase itself
// (drivenLabel). Until her validUntil alice holds the role, and the reconcile asks to come
// back by then; at her validUntil she loses the role and cannot log in.
func TestAccessRolePostgresEndToEndDesignationExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type) VALUES ('a@b2b.example', 'B2B'), ('b@b2c.example', 'B2C')")
	admin := tdb.Open(t)
	ns := newNamespace(t)
	driven := map[string]string{drivenLabel: "true"}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, labels: driven})
	role, alice := uniqueRole("crm_sales"), uniqueRole("alice")
	t.Cleanup(func() {
		for _, r := range []string{role, alice} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	now := time.Now()
	expiry := now.Add(time.Hour)
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales", Labels: driven},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "b2b-prospecting"},
			Grants: []privacyv1alpha1.TableGrant{
				{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}, Columns: []privacyv1alpha1.SQLIdentifier{"id", "email", "contact_type"}},
			},
			Members: []privacyv1alpha1.RoleMember{
				{User: privacyv1alpha1.SQLIdentifier(alice), PasswordSecretRef: createPasswordSecret(t, ns, "alice-pw", "alice's pw"), Designation: designation(now.Add(-time.Hour), &expiry)},
			},
		},
	}
	if err := k8s.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	reader := drivenCache(t, []client.Object{db, ar})
	live := directClient(t)
	clk := clocktesting.NewFakeClock(now)
	rs, err := controllers.NewReconcilers(reader, live, clk, &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatalf("reconciling the CRMDatabase: %v", err)
	}
	// reconcileUntil reconciles the AccessRole (its cache may be a write behind) until its
	// status, read from the API server, satisfies done.
	reconcileUntil := func(what string, done func() bool) ctrl.Result {
		t.Helper()
		var res ctrl.Result
		eventually(t, 30*time.Second, what, func() (bool, error) {
			var err error
			if res, err = rs.Reconcile(ctx, ar); err != nil {
				return false, err
			}
			if err := live.Get(ctx, key(ar), ar); err != nil {
				return false, err
			}
			return done(), fmt.Errorf("members %+v", ar.Status.Members)
		})
		return res
	}

	res := reconcileUntil("alice to hold the role", func() bool {
		return memberStatus(ar, alice).State == privacyv1alpha1.MemberActive
	})
	if res.RequeueAfter <= 0 || res.RequeueAfter > time.Hour {
		t.Errorf("the reconcile asks to come back after %v, want by alice's validUntil (1h)", res.RequeueAfter)
	}
	if _, err := pgLogin(t, tdb, alice, "alice's pw"); err != nil {
		t.Fatalf("alice cannot log in before her designation ends: %v", err)
	}
	if n := roleMembers(t, admin, role); n != 1 {
		t.Errorf("%d members before expiry, want alice", n)
	}

	// A second before her validUntil nothing changes; at it alice loses the role.
	clk.Step(time.Hour - time.Second)
	reconcileUntil("alice to still hold the role a second before her validUntil", func() bool {
		return memberStatus(ar, alice).State == privacyv1alpha1.MemberActive
	})
	clk.Step(time.Second)
	reconcileUntil("alice's designation to expire", func() bool {
		return memberStatus(ar, alice).Reason == privacyv1alpha1.ReasonDesignationExpired
	})
	if _, err := pgLogin(t, tdb, alice, "alice's pw"); err == nil {
		t.Error("alice still logs in after her designation expired")
	}
	if n := roleMembers(t, admin, role); n != 0 {
		t.Errorf("%d members left after expiry", n)
	}
}

func TestAccessRoleMariaDBRowFilterUnsupportedAndRetain(t *testing.T) {
	tdb := testdb.MariaDB(t)
	tdb.LoadFile(t, sampleSchema("generic-mysql.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type) VALUES ('a@b2b.example', 'B2B')")
	admin := tdb.Open(t)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)

	role, carol := uniqueRole("crm_support"), uniqueRole("carol")
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP ROLE IF EXISTS `" + role + "`")
		_, _ = admin.Exec("DROP USER IF EXISTS `" + carol + "`@'%'")
	})
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "support"},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "support"},
			Grants: []privacyv1alpha1.TableGrant{
				{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}, Columns: []privacyv1alpha1.SQLIdentifier{"id", "email"}},
				{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect, privacyv1alpha1.PrivilegeInsert}},
			},
			RowFilter: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: privacyv1alpha1.FieldContactType, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"B2B"}}}},
			Members: []privacyv1alpha1.RoleMember{
				{User: privacyv1alpha1.SQLIdentifier(carol), PasswordSecretRef: createPasswordSecret(t, ns, "carol-pw", "carol-pw"), Designation: designation(time.Now().Add(-time.Hour), nil)},
			},
		},
	}
	if err := k8s.Create(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonUnsupported)
	// Row filters on MariaDB need a person to change the spec: Stalled, not Reconciling.
	waitAccessRole(t, ar, privacyv1alpha1.TypeStalled, metav1.ConditionTrue, privacyv1alpha1.ReasonUnsupported)
	if c := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeReconciling); c != nil {
		t.Errorf("Reconciling = %+v beside Stalled, want none", c)
	}
	carolDB, err := mariaLogin(t, tdb, carol, "carol-pw")
	if err != nil {
		t.Fatalf("carol cannot log in: %v", err)
	}
	var n int
	if err := carolDB.QueryRow("SELECT COUNT(*) FROM notes").Scan(&n); err != nil {
		t.Errorf("carol cannot read notes: %v", err)
	}
	if err := carolDB.QueryRow("SELECT COUNT(email) FROM contacts").Scan(&n); err == nil {
		t.Error("carol reads contacts although the row filter cannot be enforced on MariaDB")
	}

	// Dropping the filter grants the contacts columns.
	patch := client.MergeFrom(ar.DeepCopy())
	ar.Spec.RowFilter = nil
	if err := k8s.Patch(context.Background(), ar, patch); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")
	if err := carolDB.QueryRow("SELECT COUNT(email) FROM contacts").Scan(&n); err != nil || n != 1 {
		t.Errorf("carol reading contacts: %d, %v", n, err)
	}

	// Deleting with the default reclaimPolicy Retain keeps an empty role.
	if err := k8s.Delete(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the AccessRole to go", func() (bool, error) {
		return apierrors.IsNotFound(k8s.Get(context.Background(), key(ar), ar)), nil
	})
	grants, err := queryStrings(t, admin, "SHOW GRANTS FOR `"+role+"`")
	if err != nil || len(grants) != 1 {
		t.Errorf("grants of the retained role: %v (%v), want only USAGE", grants, err)
	}
	if _, err := mariaLogin(t, tdb, carol, "carol-pw"); err == nil {
		t.Error("carol still logs in after the AccessRole was deleted")
	}
	// The register records that the role was left in the database, and carol's login locked.
	if rev, d := registeredDeletion(t, ns, ar.Name); d == nil {
		t.Error("no register revision records the deletion of the AccessRole")
	} else if d["cleanup"] != string(privacyv1alpha1.CleanupRoleRetained) || fmt.Sprint(d["loginsLocked"]) != "1" {
		t.Errorf("revision %d records the deletion as %v; want RoleRetained, 1 login locked", rev.Spec.Revision, d)
	}
}

// TestAccessRoleDeletionWaitsForItsDatabase deletes an AccessRole whose database cannot be
// reached. The test reconciles it itself (drivenLabel), on a clock it moves: however often
// the deletion is retried and however much time passes, the object stays. The
// skip-cleanup annotation then lets it go: the test hands the object to the shared manager
// (drops drivenLabel) in the same patch, and the manager's reconciler and register do the rest.
func TestAccessRoleDeletionWaitsForItsDatabase(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orphan", Labels: map[string]string{drivenLabel: "true"}},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: "gone"},
			RoleName:              "crm_orphan",
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "x"},
			Grants:                []privacyv1alpha1.TableGrant{{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
		},
	}
	if err := k8s.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	reader := drivenCache(t, []client.Object{ar})
	live := directClient(t)
	clk := clocktesting.NewFakeClock(time.Now())
	rs, err := controllers.NewReconcilers(reader, live, clk, &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	ready := func() *metav1.Condition {
		t.Helper()
		if err := live.Get(ctx, key(ar), ar); err != nil {
			t.Fatalf("the AccessRole went without cleanup: %v", err)
		}
		return meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeReady)
	}

	if _, err := rs.Reconcile(ctx, ar); err != nil {
		t.Fatalf("reconciling the AccessRole: %v", err)
	}
	if c := ready(); c == nil || c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonDatabaseNotFound {
		t.Fatalf("Ready %+v, want False DatabaseNotFound", c)
	}
	if len(ar.Finalizers) != 1 {
		t.Fatalf("finalizers %v, want the cleanup finalizer", ar.Finalizers)
	}
	if err := k8s.Delete(ctx, ar); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the test's cache to see the deletion", func() (bool, error) {
		seen := &privacyv1alpha1.AccessRole{}
		err := reader.Get(ctx, key(ar), seen)
		return err == nil && !seen.DeletionTimestamp.IsZero(), err
	})
	// The object stays while the database cannot be reached: every retry fails, an hour
	// past the register's timeout apart, and Ready says why.
	for i := range 5 {
		if _, err := rs.Reconcile(ctx, ar); err == nil {
			t.Fatalf("retry %d of the deletion succeeded without its database", i)
		}
		c := ready()
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonCleanupFailed {
			t.Fatalf("retry %d: Ready %+v, want False CleanupFailed", i, c)
		}
		for _, want := range []string{"gone", controllers.AnnotationSkipCleanup} {
			if !strings.Contains(c.Message, want) {
				t.Errorf("the CleanupFailed message does not mention %q: %s", want, c.Message)
			}
		}
		if len(ar.Finalizers) != 1 || ar.Status.Deletion != nil {
			t.Fatalf("retry %d: finalizers %v, deletion %+v; want the finalizer kept, no deletion recorded", i, ar.Finalizers, ar.Status.Deletion)
		}
		clk.Step(controllers.RegisterRecordTimeout + time.Hour)
	}

	patch := client.MergeFrom(ar.DeepCopy())
	metav1.SetMetaDataAnnotation(&ar.ObjectMeta, controllers.AnnotationSkipCleanup, "true")
	delete(ar.Labels, drivenLabel)
	if err := live.Patch(ctx, ar, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the AccessRole to go with skip-cleanup", func() (bool, error) {
		return apierrors.IsNotFound(live.Get(ctx, key(ar), ar)), nil
	})
}

// Issue 14: AccessRole B, in another namespace with a CRMDatabase on the same server, lists
// A's member with a password Secret of its own: B's status and events say the login is
// owned elsewhere, and her password is unchanged. A is then deleted with skip-cleanup: its
// role keeps its privileges, but its login is locked.
func TestAccessRoleLoginsBelongToOneAccessRole(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	admin := tdb.Open(t)
	nsA, nsB := newNamespace(t), newNamespace(t)
	dbA := newCRMDatabase(t, nsA, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	dbB := newCRMDatabase(t, nsB, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, dbA)
	waitDatabaseReady(t, dbB)
	roleA, roleB, alice := uniqueRole("crm_a"), uniqueRole("crm_b"), uniqueRole("alice")
	t.Cleanup(func() {
		for _, r := range []string{roleA, roleB, alice} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	now := time.Now()
	accessRole := func(ns, db, role, secret, password string) *privacyv1alpha1.AccessRole {
		return &privacyv1alpha1.AccessRole{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team"},
			Spec: privacyv1alpha1.AccessRoleSpec{
				DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db)},
				RoleName:              privacyv1alpha1.SQLIdentifier(role),
				ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "b2b-prospecting"},
				Grants:                []privacyv1alpha1.TableGrant{{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
				Members: []privacyv1alpha1.RoleMember{{User: privacyv1alpha1.SQLIdentifier(alice),
					PasswordSecretRef: createPasswordSecret(t, ns, secret, password), Designation: designation(now.Add(-time.Hour), nil)}},
			},
		}
	}
	arA := accessRole(nsA, dbA.Name, roleA, "alice-a", "alice's pw")
	if err := k8s.Create(context.Background(), arA); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, arA, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")
	arB := accessRole(nsB, dbB.Name, roleB, "alice-b", "taken over")
	if err := k8s.Create(context.Background(), arB); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, arB, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonUserOwnedElsewhere)
	waitAccessRole(t, arB, privacyv1alpha1.TypeMembersDesignated, metav1.ConditionFalse, privacyv1alpha1.ReasonUserOwnedElsewhere)
	if m := memberStatus(arB, alice); m.State != privacyv1alpha1.MemberSuspended || m.Reason != privacyv1alpha1.ReasonUserOwnedElsewhere {
		t.Errorf("alice's status in B: %+v", m)
	}
	eventually(t, 10*time.Second, "a UserOwnedElsewhere warning on B", func() (bool, error) {
		return len(findEvents(t, nsB, arB.Name, privacyv1alpha1.ReasonUserOwnedElsewhere)) > 0, nil
	})
	if _, err := pgLogin(t, tdb, alice, "taken over"); err == nil {
		t.Fatal("B reset the password of A's login")
	}
	if _, err := pgLogin(t, tdb, alice, "alice's pw"); err != nil {
		t.Fatalf("alice's own password no longer works: %v", err)
	}

	// A goes with skip-cleanup: its role keeps its privileges, alice is locked.
	patch := client.MergeFrom(arA.DeepCopy())
	metav1.SetMetaDataAnnotation(&arA.ObjectMeta, controllers.AnnotationSkipCleanup, "true")
	if err := k8s.Patch(context.Background(), arA, patch); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(context.Background(), arA); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "A to go with skip-cleanup", func() (bool, error) {
		return apierrors.IsNotFound(k8s.Get(context.Background(), key(arA), arA)), nil
	})
	if len(findEvents(t, nsA, arA.Name, privacyv1alpha1.ReasonLoginsLocked)) == 0 {
		t.Error("no LoginsLocked event")
	}
	// The register says so: a revision records the deletion and what it left, and the
	// object went only once that revision existed.
	rev, deletion := registeredDeletion(t, nsA, arA.Name)
	if deletion == nil {
		t.Fatal("no register revision records the deletion of A")
	}
	if deletion["cleanup"] != string(privacyv1alpha1.CleanupSkipped) || fmt.Sprint(deletion["loginsLocked"]) != "1" {
		t.Errorf("revision %d records the deletion as %v; want cleanup Skipped, 1 login locked", rev.Spec.Revision, deletion)
	}
	var listed bool
	for _, c := range rev.Spec.Changes {
		// Modified (spec.deletion), or Added when the register's debounce folded the
		// creation and the deletion into one revision.
		if c.Kind == "AccessRole" && c.Namespace == nsA && c.Name == arA.Name &&
			(c.Type == privacyv1alpha1.ChangeAdded || strings.Join(c.Fields, ",") == "spec.deletion") {
			listed = true
		}
	}
	if !listed {
		t.Errorf("revision %d's changes do not list the deletion: %+v", rev.Spec.Revision, rev.Spec.Changes)
	}
	if _, err := pgLogin(t, tdb, alice, "alice's pw"); err == nil {
		t.Error("A's login still works after A was let go with skip-cleanup")
	}
	var has bool
	if err := admin.QueryRow("SELECT has_table_privilege($1, 'notes', 'SELECT')", roleA).Scan(&has); err != nil || !has {
		t.Errorf("skip-cleanup revoked the role's privileges (%v)", err)
	}
}

// registeredDeletion returns the first RegisterRevision whose snapshot records the deletion
// of the AccessRole ns/name, and the deletion member of its entry; nil when none does.
func registeredDeletion(t *testing.T, ns, name string) (*privacyv1alpha1.RegisterRevision, map[string]any) {
	t.Helper()
	var list privacyv1alpha1.RegisterRevisionList
	if err := k8s.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Spec.Revision < list.Items[j].Spec.Revision })
	for i := range list.Items {
		rev := &list.Items[i]
		doc, err := register.Decode(string(rev.Spec.Snapshot.Encoding), rev.Spec.Snapshot.Data)
		if err != nil {
			t.Fatalf("revision %d: %v", rev.Spec.Revision, err)
		}
		e, ok := doc.Lookup(register.Key{Kind: register.KindAccessRole, Namespace: ns, Name: name})
		if d, _ := e.Spec["deletion"].(map[string]any); ok && d != nil {
			return rev, d
		}
	}
	return nil, nil
}

// Issue 14 point 6 on MariaDB: an AccessRole let go with skip-cleanup leaves its role and
// grants, but its member's login is locked and her open session ended, and the register
// records the deletion.
func TestAccessRoleMariaDBSkipCleanupLocksLogins(t *testing.T) {
	tdb := testdb.MariaDB(t)
	tdb.LoadFile(t, sampleSchema("generic-mysql.sql"))
	admin := tdb.Open(t)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	role, dave := uniqueRole("crm_support"), uniqueRole("dave")
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP ROLE IF EXISTS `" + role + "`")
		_, _ = admin.Exec("DROP USER IF EXISTS `" + dave + "`@'%'")
	})
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "support"},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "support"},
			Grants:                []privacyv1alpha1.TableGrant{{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
			Members: []privacyv1alpha1.RoleMember{{User: privacyv1alpha1.SQLIdentifier(dave),
				PasswordSecretRef: createPasswordSecret(t, ns, "dave-pw", "dave-pw"), Designation: designation(time.Now().Add(-time.Hour), nil)}},
		},
	}
	if err := k8s.Create(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")
	session, err := mariaLogin(t, tdb, dave, "dave-pw")
	if err != nil {
		t.Fatalf("dave cannot log in: %v", err)
	}
	session.SetMaxOpenConns(1)
	var n int
	if err := session.QueryRow("SELECT COUNT(*) FROM notes").Scan(&n); err != nil {
		t.Fatalf("dave cannot read notes: %v", err)
	}

	patch := client.MergeFrom(ar.DeepCopy())
	metav1.SetMetaDataAnnotation(&ar.ObjectMeta, controllers.AnnotationSkipCleanup, "true")
	if err := k8s.Patch(context.Background(), ar, patch); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the AccessRole to go with skip-cleanup", func() (bool, error) {
		return apierrors.IsNotFound(k8s.Get(context.Background(), key(ar), ar)), nil
	})
	if err := session.QueryRow("SELECT COUNT(*) FROM notes").Scan(&n); err == nil {
		t.Error("dave's open session survived skip-cleanup")
	}
	if _, err := mariaLogin(t, tdb, dave, "dave-pw"); err == nil {
		t.Error("dave still logs in after skip-cleanup")
	}
	if grants, err := queryStrings(t, admin, "SHOW GRANTS FOR `"+role+"`"); err != nil || len(grants) < 2 {
		t.Errorf("skip-cleanup revoked the role's grants: %v (%v)", grants, err)
	}
	if rev, d := registeredDeletion(t, ns, ar.Name); d == nil {
		t.Error("no register revision records the deletion")
	} else if d["cleanup"] != string(privacyv1alpha1.CleanupSkipped) || fmt.Sprint(d["loginsLocked"]) != "1" || fmt.Sprint(d["sessionsEnded"]) != "1" {
		t.Errorf("revision %d records the deletion as %v; want Skipped, 1 login locked, 1 session ended", rev.Spec.Revision, d)
	}
}
