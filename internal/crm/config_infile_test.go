package crm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// rogueMySQL is a tiny MySQL server that does what a hostile tenant's server would: it
// accepts any login and answers every query with a LOCAL INFILE request (0xFB) naming a
// file of the operator's pod. It records what the client sends back.
type rogueMySQL struct {
	ln   net.Listener
	file string

	mu       sync.Mutex
	dials    int
	requests int
	received []byte // file content the client sent after a LOCAL INFILE request
}

func startRogueMySQL(t *testing.T, file string) *rogueMySQL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rogueMySQL{ln: ln, file: file}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.dials++
			s.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); s.serve(c) }()
		}
	}()
	return s
}

func (s *rogueMySQL) addr() string { return s.ln.Addr().String() }

func (s *rogueMySQL) stats() (dials, requests int, received []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials, s.requests, append([]byte(nil), s.received...)
}

func writeMySQLPacket(w io.Writer, seq byte, payload []byte) error {
	head := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}
	_, err := w.Write(append(head, payload...))
	return err
}

func readMySQLPacket(r io.Reader) (seq byte, payload []byte, err error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, nil, err
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return head[3], payload, err
}

var mysqlOK = []byte{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}

func (s *rogueMySQL) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	// Handshake v10: MySQL 5.7, mysql_native_password, LOCAL INFILE among the capabilities.
	var hs bytes.Buffer
	hs.WriteByte(10)
	hs.WriteString("5.7.44-rogue\x00")
	_ = binary.Write(&hs, binary.LittleEndian, uint32(1))
	hs.WriteString("abcdefgh\x00")                             // scramble part 1, filler
	_ = binary.Write(&hs, binary.LittleEndian, uint16(0xA289)) // long password, with db, local files, protocol 41, transactions, secure conn
	hs.WriteByte(0x21)                                         // utf8
	_ = binary.Write(&hs, binary.LittleEndian, uint16(0x0002)) // autocommit
	_ = binary.Write(&hs, binary.LittleEndian, uint16(0x000A)) // multi results, plugin auth
	hs.WriteByte(21)                                           // scramble length
	hs.Write(make([]byte, 10))                                 // reserved
	hs.WriteString("ijklmnopqrst\x00")                         // scramble part 2
	hs.WriteString("mysql_native_password\x00")
	if writeMySQLPacket(c, 0, hs.Bytes()) != nil {
		return
	}
	if _, _, err := readMySQLPacket(c); err != nil { // handshake response: any login will do
		return
	}
	if writeMySQLPacket(c, 2, mysqlOK) != nil {
		return
	}
	for {
		_, cmd, err := readMySQLPacket(c)
		if err != nil || len(cmd) == 0 {
			return
		}
		switch cmd[0] {
		case 0x01: // COM_QUIT
			return
		case 0x03: // COM_QUERY: answer with a LOCAL INFILE request
			s.mu.Lock()
			s.requests++
			s.mu.Unlock()
			if writeMySQLPacket(c, 1, append([]byte{0xFB}, s.file...)) != nil {
				return
			}
			var seq byte
			for {
				var data []byte
				seq, data, err = readMySQLPacket(c)
				if err != nil {
					return
				}
				if len(data) == 0 {
					break
				}
				s.mu.Lock()
				s.received = append(s.received, data...)
				s.mu.Unlock()
			}
			if writeMySQLPacket(c, seq+1, mysqlOK) != nil {
				return
			}
		default: // COM_PING and anything else
			if writeMySQLPacket(c, 1, mysqlOK) != nil {
				return
			}
		}
	}
}

// A tenant's dsn with allowAllFiles=true, pointing at a rogue server that answers a query
// with a LOCAL INFILE request, would make the driver send any file of the manager's pod —
// its service-account token included. The operator refuses the option before dialling; and
// without it, the driver never sends a file.
func TestMySQLLocalInfileRequestFromRogueServer(t *testing.T) {
	const tokenContent = "eyJhbGciOiJSUzI1NiJ9.service-account-token-of-the-manager"
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte(tokenContent), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)

	t.Run("allowAllFiles in the dsn is refused before dialling", func(t *testing.T) {
		srv := startRogueMySQL(t, token)
		db, err := Open(ConnConfig{Engine: EngineMySQL, DSN: "crm:pw@tcp(" + srv.addr() + ")/crm?tls=false&allowAllFiles=true"})
		if err == nil {
			defer db.Close()
			_, _ = db.ServerVersion(ctx)
			_, _, got := srv.stats()
			t.Fatalf("Open accepted allowAllFiles=true; the rogue server then received %d bytes of the token (%q)", len(got), got)
		}
		var unsupported *UnsupportedOptionError
		if !errors.As(err, &unsupported) || unsupported.Option != "allowAllFiles" {
			t.Fatalf("Open error = %v, want an UnsupportedOptionError naming allowAllFiles", err)
		}
		if r := ClassifyError(err); r != ReasonUnsupportedOption {
			t.Errorf("ClassifyError = %s, want %s", r, ReasonUnsupportedOption)
		}
		if dials, _, _ := srv.stats(); dials != 0 {
			t.Errorf("the server was dialled %d time(s); the refusal must come first", dials)
		}
	})

	for _, tc := range []struct {
		name string
		cfg  func(addr string) ConnConfig
	}{
		{"dsn without the option", func(addr string) ConnConfig {
			return ConnConfig{Engine: EngineMySQL, DSN: "crm:pw@tcp(" + addr + ")/crm?tls=false"}
		}},
		{"separate settings", func(addr string) ConnConfig {
			host, port, _ := net.SplitHostPort(addr)
			var p int
			_, _ = fmt.Sscan(port, &p)
			return ConnConfig{Engine: EngineMySQL, Host: host, Port: p, User: "crm", Password: "pw", Database: "crm", TLSMode: TLSDisable}
		}},
	} {
		t.Run(tc.name+": the driver never sends a file", func(t *testing.T) {
			srv := startRogueMySQL(t, token)
			db, err := Open(tc.cfg(srv.addr()))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ServerVersion(ctx); err == nil {
				t.Error("the query answered by a LOCAL INFILE request succeeded")
			} else {
				t.Logf("query error: %v", err)
			}
			_, requests, got := srv.stats()
			if requests == 0 {
				t.Fatal("the rogue server received no query: the test proves nothing")
			}
			if len(got) > 0 {
				t.Errorf("the client sent %d bytes of a local file (%q)", len(got), got)
			}
		})
	}
}

// The same attack against a real MariaDB server, whose LOAD DATA LOCAL INFILE asks the
// client for the file: with the operator's connection the file never arrives.
func TestMariaDBLoadDataLocalInfileGetsNoFile(t *testing.T) {
	tdb := testdb.MariaDB(t)
	admin := tdb.Open(t)
	if queryInt(t, admin, "SELECT @@GLOBAL.local_infile") != 1 {
		t.Fatal("the test MariaDB server has local_infile off: the test proves nothing")
	}
	execAll(t, admin, "CREATE TABLE loot (line TEXT)")
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("service-account-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load := "LOAD DATA LOCAL INFILE '" + secret + "' INTO TABLE loot"
	ctx := testContext(t)

	dsn := fmt.Sprintf("%s:%s@tcp(%s:%d)/%s?tls=false&allowAllFiles=true", tdb.User, tdb.Password, tdb.Host, tdb.Port, tdb.Name)
	if db, err := Open(ConnConfig{Engine: EngineMySQL, DSN: dsn}); err == nil {
		_, execErr := db.DB().ExecContext(ctx, load)
		_ = db.Close()
		t.Errorf("Open accepted allowAllFiles=true (LOAD DATA LOCAL error: %v); rows loaded from the file: %d", execErr,
			queryInt(t, admin, "SELECT COUNT(*) FROM loot"))
	}

	db := openCRM(t, tdb)
	if _, err := db.DB().ExecContext(ctx, load); err == nil {
		t.Error("LOAD DATA LOCAL INFILE succeeded over the operator's connection")
	}
	if n := queryInt(t, admin, "SELECT COUNT(*) FROM loot"); n != 0 {
		t.Errorf("%d row(s) were loaded from a file of the operator's host", n)
	}
}

// The driver sends a file only when AllowAllFiles is on or the file (or a reader) is
// registered: no code of the operator may register one.
func TestNoLocalFileIsRegistered(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range []string{"RegisterLocalFile", "RegisterReaderHandler"} {
			if bytes.Contains(b, []byte("mysql."+f)) {
				t.Errorf("%s calls mysql.%s: the driver would send that file to any server that asks", path, f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
