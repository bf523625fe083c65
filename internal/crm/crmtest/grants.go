package crmtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// SamplePassword is the password of the logins of config/samples/crm/operator-grants-*.sql.
const SamplePassword = "change-me-example-only"

// RandomLogin returns a login name that no other test uses.
func RandomLogin(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// DocumentedGrants returns the statements of config/samples/crm/operator-grants-<engine>.sql
// (docs/security.md links them) for login on database: the DryRun part, or the Enforce part
// with it (never the AccessRole part).
func DocumentedGrants(t *testing.T, e crm.Engine, login, database string, enforce bool) []string {
	t.Helper()
	name := map[crm.Engine]string{crm.EnginePostgres: "operator-grants-postgres.sql", crm.EngineMySQL: "operator-grants-mariadb.sql"}[e]
	b, err := os.ReadFile(filepath.Join(SamplesDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	// The file's last part, for AccessRoles, is not part of what retention needs.
	for _, marker := range []string{"-- @access", "-- @enforce"} {
		i := strings.Index(text, marker)
		if i < 0 {
			t.Fatalf("%s has no %q part", name, marker)
		}
		if marker == "-- @access" || !enforce {
			text = text[:i]
		}
	}
	text = strings.ReplaceAll(text, "crm_privacy_operator", login)
	if e == crm.EnginePostgres {
		text = strings.ReplaceAll(text, `"crm"`, `"`+database+`"`)
	} else {
		text = strings.ReplaceAll(text, "`crm`", "`"+database+"`")
	}
	return SplitSQL(text)
}

// LoginAs returns tdb with the credentials of login (SamplePassword).
func LoginAs(tdb *testdb.Database, login string) *testdb.Database {
	c := *tdb
	c.User, c.Password = login, SamplePassword
	return &c
}
