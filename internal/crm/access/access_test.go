package access

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"

	"github.com/google/go-cmp/cmp"
)

func TestDiffGrants(t *testing.T) {
	tbl := func(table, priv string) grantKey {
		return grantKey{Kind: objTable, Schema: "public", Table: table, Privilege: priv}
	}
	col := func(table, column, priv string) grantKey {
		return grantKey{Kind: objColumn, Schema: "public", Table: table, Column: column, Privilege: priv}
	}
	cases := []struct {
		name        string
		want, have  []grantKey
		clears      bool
		grant, drop []grantKey
	}{
		{name: "in sync", want: []grantKey{tbl("a", "SELECT")}, have: []grantKey{tbl("a", "SELECT")}},
		{name: "missing and extra", want: []grantKey{tbl("a", "SELECT")}, have: []grantKey{tbl("a", "DELETE")},
			grant: []grantKey{tbl("a", "SELECT")}, drop: []grantKey{tbl("a", "DELETE")}},
		{name: "table grant undercutting columns is revoked, columns granted again (PostgreSQL)",
			want: []grantKey{col("a", "x", "SELECT")}, have: []grantKey{col("a", "x", "SELECT"), tbl("a", "SELECT")}, clears: true,
			grant: []grantKey{col("a", "x", "SELECT")}, drop: []grantKey{tbl("a", "SELECT")}},
		{name: "table revoke of another privilege keeps the column grant",
			want: []grantKey{col("a", "x", "SELECT")}, have: []grantKey{col("a", "x", "SELECT"), tbl("a", "UPDATE")}, clears: true,
			drop: []grantKey{tbl("a", "UPDATE")}},
		{name: "without clearing, column grants stay when the table grant goes",
			want: []grantKey{col("a", "x", "SELECT")}, have: []grantKey{col("a", "x", "SELECT"), tbl("a", "SELECT")},
			drop: []grantKey{tbl("a", "SELECT")}},
		{name: "everything revoked", have: []grantKey{tbl("a", "SELECT"), col("b", "y", "UPDATE")},
			drop: []grantKey{col("b", "y", "UPDATE"), tbl("a", "SELECT")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := diffGrants(tc.want, tc.have, tc.clears)
			if diff := cmp.Diff(tc.grant, d.grant); diff != "" {
				t.Errorf("grant (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.drop, d.revoke); diff != "" {
				t.Errorf("revoke (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableGrantsNeverUndercutColumns(t *testing.T) {
	got := tableGrants([]resolvedGrant{{schema: "s", table: "contacts", privileges: []string{PrivSelect, PrivDelete, PrivUpdate}, columns: []string{"email", "company"}}})
	want := []grantKey{
		{Kind: objColumn, Schema: "s", Table: "contacts", Column: "email", Privilege: PrivSelect},
		{Kind: objColumn, Schema: "s", Table: "contacts", Column: "company", Privilege: PrivSelect},
		{Kind: objTable, Schema: "s", Table: "contacts", Privilege: PrivDelete},
		{Kind: objColumn, Schema: "s", Table: "contacts", Column: "email", Privilege: PrivUpdate},
		{Kind: objColumn, Schema: "s", Table: "contacts", Column: "company", Privilege: PrivUpdate},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGroupGrantsRendersOneStatementPerTable(t *testing.T) {
	keys := []grantKey{
		{Kind: objTable, Schema: "public", Table: "contacts", Privilege: PrivDelete},
		{Kind: objColumn, Schema: "public", Table: "contacts", Column: "email", Privilege: PrivSelect},
		{Kind: objColumn, Schema: "public", Table: "contacts", Column: "id", Privilege: PrivSelect},
		{Kind: objColumn, Schema: "public", Table: "contacts", Column: "email", Privilege: PrivUpdate},
		{Kind: objTable, Schema: "public", Table: "notes", Privilege: PrivSelect},
	}
	groups := groupGrants(keys)
	var got []string
	for _, g := range groups {
		list, err := g.privilegeList(crm.PostgresDialect{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g.table+": "+list)
	}
	want := []string{`contacts: DELETE, SELECT ("email", "id"), UPDATE ("email")`, "notes: SELECT"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAccessSpecValidation(t *testing.T) {
	ok := Spec{Role: "crm_sales", Owner: "ns/sales", Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}}}}
	cases := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"valid", func(*Spec) {}, ""},
		{"injected role", func(s *Spec) { s.Role = `x"; DROP ROLE postgres; --` }, "role name"},
		{"unknown privilege", func(s *Spec) { s.Grants[0].Privileges = []string{"TRUNCATE"} }, "unknown privilege"},
		{"bad column", func(s *Spec) { s.Grants[0].Columns = []string{"a b"} }, "invalid SQL identifier"},
		{"member twice", func(s *Spec) { s.Members = []Member{{User: "a"}, {User: "a"}} }, "listed twice"},
		{"member is the role", func(s *Spec) { s.Members = []Member{{User: "crm_sales"}} }, "member of itself"},
		{"owner with a quote", func(s *Spec) { s.Owner = "ns/x'y" }, "owner"},
		// Reserved names (issue 14): PostgreSQL's and MySQL/MariaDB's special roles and
		// accounts, predefined roles, the operator's own prefix — as the role or a member.
		{"role public", func(s *Spec) { s.Role = "public" }, "roleName: \"public\" is a reserved"},
		{"role PUBLIC", func(s *Spec) { s.Role = "PUBLIC" }, "roleName: \"PUBLIC\" is a reserved"},
		{"role postgres", func(s *Spec) { s.Role = "postgres" }, "roleName: \"postgres\" is a reserved"},
		{"role root", func(s *Spec) { s.Role = "root" }, "roleName: \"root\" is a reserved"},
		{"role pg_read_all_data", func(s *Spec) { s.Role = "pg_read_all_data" }, "roleName: \"pg_read_all_data\": names starting with pg_"},
		{"role Pg_x", func(s *Spec) { s.Role = "Pg_x" }, "names starting with pg_"},
		{"role crm_privacy_", func(s *Spec) { s.Role = "crm_privacy_ledger" }, "the operator's own objects"},
		{"role current_user", func(s *Spec) { s.Role = "current_user" }, "reserved"},
		{"role none", func(s *Spec) { s.Role = "none" }, "reserved"},
		{"member root", func(s *Spec) { s.Members = []Member{{User: "alice"}, {User: "root"}} }, "members[1].user: \"root\" is a reserved"},
		{"member postgres", func(s *Spec) { s.Members = []Member{{User: "postgres", ManageLogin: true}} }, "members[0].user"},
		{"member pg_signal_backend", func(s *Spec) { s.Members = []Member{{User: "pg_signal_backend"}} }, "members[0].user"},
		{"member session_user", func(s *Spec) { s.Members = []Member{{User: "session_user"}} }, "members[0].user"},
		{"grant on the ledger", func(s *Spec) { s.Grants[0].Table = "crm_privacy_erasure_ledger" }, "operator's own objects"},
		{"grant on a checkpoint table", func(s *Spec) { s.Grants[0].Table = "CRM_PRIVACY_sweep_checkpoint" }, "grants[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			s.Grants = []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}}}
			tc.change(&s)
			err := s.validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want an AccessSpecError mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCompileRowFilter(t *testing.T) {
	m := crmtest.GenericMapping()
	m.Extension = &crm.ExtensionTable{Table: "contacts_cstm", Key: "id_c"}
	m.Fields["region"] = crm.Field{Column: "region_c", Source: crm.SourceExtension}
	m.Fields["score"] = crm.Field{Column: "score"}
	m.RestrictedFields = append(m.RestrictedFields, crm.RestrictedField{Name: "hobbies", Column: "hobbies"})
	contacts := &crm.Table{Name: "contacts", Columns: []crm.Column{
		{Name: "contact_type", Class: crm.ClassText}, {Name: "job_role", Class: crm.ClassText}, {Name: "email", Class: crm.ClassText},
		{Name: "opt_out", Class: crm.ClassBoolean}, {Name: "legal_hold", Class: crm.ClassInteger}, {Name: "score", Class: crm.ClassInteger},
		{Name: "hobbies", Class: crm.ClassText},
	}}
	cases := []struct {
		name string
		sel  crm.Selector
		want string
		err  string
	}{
		{"empty lets everything through", nil, "(1=1)", ""},
		{"in", crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}}, `("contact_type" IS NOT NULL AND "contact_type" IN (E'B2B'))`, ""},
		{"not in and exists", crm.Selector{
			{Field: crm.FieldJobRole, Operator: crm.OpNotIn, Values: []string{"board", "o'hara\\"}},
			{Field: crm.FieldEmail, Operator: crm.OpExists},
		}, `("job_role" IS NOT NULL AND "job_role" NOT IN (E'board', E'o''hara\\')) AND ("email" IS NOT NULL)`, ""},
		{"boolean flag false", crm.Selector{{Field: crm.FieldOptOut, Operator: crm.OpIn, Values: []string{"false"}}}, `("opt_out" IS FALSE)`, ""},
		{"integer flag true", crm.Selector{{Field: crm.FieldLegalHold, Operator: crm.OpIn, Values: []string{"true"}}}, `("legal_hold" IS NOT NULL AND "legal_hold" <> 0)`, ""},
		{"number", crm.Selector{{Field: "score", Operator: crm.OpIn, Values: []string{"007", "-1"}}}, `("score" IS NOT NULL AND "score" IN (CAST(7 AS bigint), CAST(-1 AS bigint)))`, ""},
		{"restricted field", crm.Selector{{Field: "hobbies", Operator: crm.OpDoesNotExist}}, `("hobbies" IS NULL)`, ""},
		{"unmapped", crm.Selector{{Field: "shoeSize", Operator: crm.OpExists}}, "", "not mapped"},
		{"extension field", crm.Selector{{Field: "region", Operator: crm.OpExists}}, "", "extension table"},
		{"NUL value", crm.Selector{{Field: crm.FieldJobRole, Operator: crm.OpIn, Values: []string{"a\x00"}}}, "", "NUL"},
		{"bad flag", crm.Selector{{Field: crm.FieldLegalHold, Operator: crm.OpIn, Values: []string{"maybe"}}}, "", "flag"},
		{"yes is no flag value", crm.Selector{{Field: crm.FieldOptOut, Operator: crm.OpIn, Values: []string{"yes"}}}, "", "spec.rowFilter.matchExpressions[0].values[0]"},
		{"text is no number", crm.Selector{{Field: "score", Operator: crm.OpIn, Values: []string{"true"}}}, "", "is a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compileRowFilter(crm.PostgresDialect{}, m, contacts, tc.sel, "ns/sales")
			if tc.err != "" {
				var se *SpecError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want an AccessSpecError mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.expr != tc.want {
				t.Errorf("expr = %s\nwant   %s", p.expr, tc.want)
			}
			if !strings.HasPrefix(p.comment, ownerMarker("ns/sales")+"; row filter ") {
				t.Errorf("comment = %q", p.comment)
			}
		})
	}
}

func TestRolePolicyNameFitsAnIdentifier(t *testing.T) {
	for _, role := range []string{"a", strings.Repeat("r", 46), strings.Repeat("r", 47), strings.Repeat("r", 63)} {
		name := rolePolicyName(role)
		if _, err := crm.ParseIdent(name); err != nil {
			t.Errorf("policy name of a %d-character role: %v", len(role), err)
		}
	}
	if rolePolicyName(strings.Repeat("r", 62)+"a") == rolePolicyName(strings.Repeat("r", 62)+"b") {
		t.Error("two long roles share a policy name")
	}
}

// parsePostgresEscapeLiteral reads an E'…' constant as PostgreSQL does, returning the
// value and what follows the closing quote.
func parsePostgresEscapeLiteral(t *testing.T, lit string) (string, string) {
	t.Helper()
	if !strings.HasPrefix(lit, "E'") {
		t.Fatalf("%q does not start with E'", lit)
	}
	var b strings.Builder
	s := lit[2:]
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				t.Fatalf("%q ends in a backslash", lit)
			}
			if s[i+1] != '\\' && s[i+1] != '\'' {
				t.Fatalf("%q holds an escape \\%c that PostgreSQL would interpret", lit, s[i+1])
			}
			b.WriteByte(s[i+1])
			i++
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	t.Fatalf("%q is not closed", lit)
	return "", ""
}

// FuzzPostgresLiteral: any value is rejected or rendered as one closed constant that
// PostgreSQL reads back as exactly the value.
func FuzzPostgresLiteral(f *testing.F) {
	for _, seed := range []string{"B2B", "", "'", "''", `\`, `\'`, `'; DROP TABLE contacts; --`, "a\x00b", "\xff", "É'\\n", "$$", "E'x'"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lit, err := PostgresLiteral(v)
		if err != nil {
			if !errors.Is(err, ErrInvalidLiteral) {
				t.Fatalf("rejection of %q is not ErrInvalidLiteral: %v", v, err)
			}
			if utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
				t.Fatalf("valid value %q rejected: %v", v, err)
			}
			return
		}
		got, rest := parsePostgresEscapeLiteral(t, lit)
		if rest != "" {
			t.Fatalf("%q: literal %q closes before its end, leaving %q", v, lit, rest)
		}
		if got != v {
			t.Fatalf("%q rendered as %q, which reads back as %q", v, lit, got)
		}
	})
}

// TestScramVerifierRFC7677 checks the verifier against the example exchange of RFC 7677
// section 3: the client proof must verify against StoredKey, and ServerKey must give the
// server signature of the RFC.
func TestScramVerifierRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := ScramVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	m := scramVerifierRE.FindStringSubmatch(v)
	if m == nil || m[1] != "4096" || m[2] != "W22ZaJ0SNY7soEsUEjb6gQ==" {
		t.Fatalf("verifier %q does not have the PostgreSQL format", v)
	}
	storedKey, _ := base64.StdEncoding.DecodeString(m[3])
	serverKey, _ := base64.StdEncoding.DecodeString(m[4])
	authMessage := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	clientSignature := hmacSHA256(storedKey, authMessage)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSignature[i]
	}
	if sum := sha256.Sum256(clientKey); !hmac.Equal(sum[:], storedKey) {
		t.Error("the RFC 7677 client proof does not verify against StoredKey")
	}
	serverSignature := base64.StdEncoding.EncodeToString(hmacSHA256(serverKey, authMessage))
	if serverSignature != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server signature %s, want the RFC's 6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", serverSignature)
	}
	if !ScramVerifierMatches(v, "pencil") || ScramVerifierMatches(v, "pencil2") {
		t.Error("ScramVerifierMatches does not tell the right password from a wrong one")
	}
}

func TestSASLprep(t *testing.T) {
	cases := []struct{ in, want string }{
		{"user", "user"},                 // ASCII: as is
		{"I\u00ADX", "IX"},               // RFC 4013 example: soft hyphen mapped to nothing
		{"\u00AA", "a"},                  // NFKC
		{"\u2168", "IX"},                 // NFKC
		{"pass\u00A0word", "pass word"},  // non-ASCII space mapped to space
		{"\u0007", "\u0007"},             // ASCII control: PostgreSQL keeps ASCII as is
		{"\u0627\u0031", "\u0627\u0031"}, // bidi rule broken: used raw
		{"caf\u00e9\u0007x\u00e9", "caf\u00e9\u0007x\u00e9"}, // prohibited control: used raw
		{"\xff\xfe", "\xff\xfe"},                             // not UTF-8: used raw
	}
	for _, tc := range cases {
		if got := SASLprep(tc.in); got != tc.want {
			t.Errorf("SASLprep(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMySQLNativePassword(t *testing.T) {
	// The hash MariaDB's PASSWORD('secret') gives.
	if got := MySQLNativePassword("secret"); got != "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7" {
		t.Errorf("MySQLNativePassword(secret) = %s", got)
	}
}

func TestPgMarkersVerifyOnlyForTheirRoleAndOwner(t *testing.T) {
	k1, err := crm.NewOperatorKeys(bytes.Repeat([]byte{1}, crm.MinSecretBytes))
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := crm.NewOperatorKeys(bytes.Repeat([]byte{2}, crm.MinSecretBytes))
	key := k1.MarkerKey()
	m := pgMarker(key, markerKindLogin, "alice", 42, "ns/a")
	if got := readMarker(key, markerKindLogin, "alice", 42, m); got.owner != "ns/a" {
		t.Fatalf("own marker does not verify: %+v", got)
	}
	for name, c := range map[string]struct {
		key   []byte
		kind  string
		role  string
		oid   int64
		text  string
		owner string
	}{
		"other key":          {k2.MarkerKey(), markerKindLogin, "alice", 42, m, ""},
		"no key":             {nil, markerKindLogin, "alice", 42, m, ""},
		"other role":         {key, markerKindLogin, "bob", 42, m, ""},
		"role recreated":     {key, markerKindLogin, "alice", 43, m, ""},
		"login as group":     {key, markerKindRole, "alice", 42, strings.Replace(m, loginMarkerPrefix, ManagedMarkerPrefix, 1), ""},
		"owner rewritten":    {key, markerKindLogin, "alice", 42, strings.Replace(m, "ns/a", "ns/b", 1), ""},
		"legacy login text":  {key, markerKindLogin, "alice", 42, managedLoginMarker, ""},
		"legacy group text":  {key, markerKindRole, "crm", 42, ManagedMarkerPrefix + "ns/a", ""},
		"no comment":         {key, markerKindLogin, "alice", 42, "", ""},
		"truncated mac":      {key, markerKindLogin, "alice", 42, m[:len(m)-2], ""},
		"group role correct": {key, markerKindRole, "crm", 7, pgMarker(key, markerKindRole, "crm", 7, "ns/a"), "ns/a"},
	} {
		if got := readMarker(c.key, c.kind, c.role, c.oid, c.text); got.owner != c.owner {
			t.Errorf("%s: owner %q, want %q", name, got.owner, c.owner)
		}
	}
	if st := readMarker(key, markerKindRole, "crm", 1, ManagedMarkerPrefix+"ns/a"); st.legacyOwner != "ns/a" || st.owner != "" {
		t.Errorf("legacy group marker read as %+v", st)
	}
	if st := readMarker(key, markerKindLogin, "alice", 1, managedLoginMarker); !st.legacyLogin || st.owner != "" {
		t.Errorf("legacy login marker read as %+v", st)
	}
}
