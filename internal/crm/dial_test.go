package crm

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseHostAllowList(t *testing.T) {
	if l, err := ParseHostAllowList(" , "); l != nil || err != nil {
		t.Errorf("empty list = %v, %v; want nil, nil (every host allowed)", l, err)
	}
	l, err := ParseHostAllowList("crm-db.sales.svc.cluster.local, *.marketing.svc.cluster.local,10.20.0.0/16,192.0.2.7,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.String(); got != "crm-db.sales.svc.cluster.local,*.marketing.svc.cluster.local,10.20.0.0/16,192.0.2.7,2001:db8::/32" {
		t.Errorf("String = %q", got)
	}
	for host, want := range map[string]bool{
		"crm-db.sales.svc.cluster.local":  true,
		"CRM-DB.sales.svc.cluster.local.": true,
		"other.sales.svc.cluster.local":   false,
		"db.marketing.svc.cluster.local":  true,
		"marketing.svc.cluster.local":     false,
		"evilmarketing.svc.cluster.local": false,
	} {
		if got := l.nameAllowed(host); got != want {
			t.Errorf("nameAllowed(%s) = %v, want %v", host, got, want)
		}
	}
	for addr, want := range map[string]bool{"10.20.3.4": true, "10.21.0.1": false, "192.0.2.7": true, "192.0.2.8": false, "2001:db8::1": true, "::ffff:10.20.0.1": true} {
		if got := l.addrAllowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("addrAllowed(%s) = %v, want %v", addr, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "*.", "db/x", "a b", "*.-x"} {
		if _, err := ParseHostAllowList(bad); err == nil {
			t.Errorf("ParseHostAllowList(%q) accepted it", bad)
		}
	}
}

// A name not on the list is resolved once, and only the resolved addresses inside an allowed
// block are dialled: a name that resolves to an internal address is refused whatever it is
// called, and an answer that mixes allowed and other addresses yields only the allowed ones.
func TestHostAllowListChecksResolvedAddresses(t *testing.T) {
	l, err := ParseHostAllowList("10.0.0.0/8,trusted.example.com")
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string][]netip.Addr{
		"rebind.example.com":  {netip.MustParseAddr("127.0.0.1")},
		"mixed.example.com":   {netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("10.1.2.3")},
		"trusted.example.com": {netip.MustParseAddr("192.168.1.1")},
	}
	l.lookup = func(_ context.Context, h string) ([]netip.Addr, error) { return answers[h], nil }
	ctx := context.Background()
	for host, want := range map[string]string{
		"rebind.example.com":  "",
		"mixed.example.com":   "10.1.2.3",
		"trusted.example.com": "192.168.1.1",
		"10.9.9.9":            "10.9.9.9",
		"127.0.0.1":           "",
		"[::1]":               "",
	} {
		addrs, err := l.allowedAddrs(ctx, host)
		if want == "" {
			var refused *HostNotAllowedError
			if !errors.As(err, &refused) {
				t.Errorf("%s: allowed %v, want a HostNotAllowedError", host, addrs)
			}
			continue
		}
		if err != nil || len(addrs) != 1 || addrs[0].String() != want {
			t.Errorf("%s: %v, %v; want [%s]", host, addrs, err, want)
		}
	}
}

// Against the real servers: a host outside the list is refused in the dialer with a clear
// reason, the same host inside the list connects.
func TestAllowedHostsOnRealServers(t *testing.T) {
	for _, ec := range engineCases[:2] {
		t.Run(ec.name, func(t *testing.T) {
			tdb := ec.open(t)
			ctx := testContext(t)
			for _, tc := range []struct {
				list string
				ok   bool
			}{
				{"10.0.0.0/8,db.example.com", false},
				{"127.0.0.0/8", true},
				{tdb.Host, true},
			} {
				l, err := ParseHostAllowList(tc.list)
				if err != nil {
					t.Fatal(err)
				}
				pools := NewPools().RestrictHosts(l)
				db, err := pools.Get("crm/main", connConfig(tdb))
				if err != nil {
					t.Fatal(err)
				}
				err = db.Ping(ctx)
				_ = pools.CloseAll()
				if tc.ok {
					if err != nil {
						t.Errorf("allowed %s: Ping: %v", tc.list, err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("allowed %s: connected to %s", tc.list, tdb.Host)
				}
				if r := ClassifyError(err); r != ReasonHostNotAllowed {
					t.Errorf("ClassifyError = %s, want %s (error: %v)", r, ReasonHostNotAllowed, err)
				}
				if !strings.Contains(err.Error(), "--allowed-database-hosts") || strings.Contains(err.Error(), tdb.Password) {
					t.Errorf("the error does not say why, or leaks the password: %v", err)
				}
			}
		})
	}
}
