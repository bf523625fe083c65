package crm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// HostAllowList restricts the database servers the operator may connect to (the manager's
// --allowed-database-hosts flag). An entry is a host name ("crm-db.sales.svc.cluster.local"),
// a wildcard for the names under a domain ("*.sales.svc.cluster.local"), an IP address or a
// CIDR block ("10.20.0.0/16").
//
// The check is made in the dialer, on the address actually dialled: the host is resolved
// once, each address is checked, and only an allowed address is dialled — so a name that
// resolves to an allowed address at check time and to another at dial time (DNS rebinding)
// gets nowhere. A host whose name is listed (or matches a wildcard) is trusted with
// whatever it resolves to: that is what listing a name means.
//
// A nil *HostAllowList allows every host.
type HostAllowList struct {
	entries  []string
	names    map[string]bool
	suffixes []string
	prefixes []netip.Prefix
	// lookup resolves a host name; tests replace it.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// ParseHostAllowList reads a comma-separated list of entries; an empty list gives nil
// (every host allowed).
func ParseHostAllowList(list string) (*HostAllowList, error) {
	l := &HostAllowList{names: map[string]bool{}}
	for _, raw := range strings.Split(list, ",") {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		l.entries = append(l.entries, e)
		switch {
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("allowed database hosts: %q is not a valid CIDR block", e)
			}
			l.prefixes = append(l.prefixes, p.Masked())
		case strings.HasPrefix(e, "*."):
			suffix := strings.ToLower(strings.TrimSuffix(e[1:], "."))
			if len(suffix) < 2 || !hostNameForm.MatchString(suffix[1:]) {
				return nil, fmt.Errorf("allowed database hosts: %q is not a valid wildcard (*.domain)", e)
			}
			l.suffixes = append(l.suffixes, suffix)
		default:
			if a, err := netip.ParseAddr(e); err == nil {
				l.prefixes = append(l.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			if !hostNameForm.MatchString(e) {
				return nil, fmt.Errorf("allowed database hosts: %q is not a host name, IP address, CIDR block or *.domain", e)
			}
			l.names[normalizeHostName(e)] = true
		}
	}
	if len(l.entries) == 0 {
		return nil, nil
	}
	return l, nil
}

// String lists the entries as given.
func (l *HostAllowList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.entries, ",")
}

func normalizeHostName(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// nameAllowed says whether the host, as written, is listed by name or wildcard.
func (l *HostAllowList) nameAllowed(host string) bool {
	h := normalizeHostName(host)
	if l.names[h] {
		return true
	}
	for _, s := range l.suffixes {
		if strings.HasSuffix(h, s) && len(h) > len(s) {
			return true
		}
	}
	return false
}

func (l *HostAllowList) addrAllowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// HostNotAllowedError is a connection the operator refused to open because the host is not
// in --allowed-database-hosts.
type HostNotAllowedError struct {
	// Host is the host as the connection settings give it.
	Host string
}

func (e *HostNotAllowedError) Error() string {
	return fmt.Sprintf("the operator may not connect to host %s: neither the name nor any address it resolves to is in the manager's --allowed-database-hosts", e.Host)
}

// allowedAddrs resolves host and returns the addresses that may be dialled.
func (l *HostAllowList) allowedAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := l.lookup
		if lookup == nil {
			lookup = func(ctx context.Context, h string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
			}
		}
		if addrs, err = lookup(ctx, host); err != nil {
			return nil, err
		}
	}
	if l.nameAllowed(host) {
		return addrs, nil
	}
	var ok []netip.Addr
	for _, a := range addrs {
		if l.addrAllowed(a) {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil, &HostNotAllowedError{Host: host}
	}
	return ok, nil
}

// dialFunc returns a dial function that connects only to allowed addresses, or nil (the
// drivers' own dialer) when l is nil.
func (l *HostAllowList) dialFunc(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if l == nil {
		return nil
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 5 * time.Minute}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil, fmt.Errorf("the operator connects to databases over TCP only, not %s", network)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("while splitting the address to dial: %w", err)
		}
		addrs, err := l.allowedAddrs(ctx, host)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			// Dial the checked address itself: no second lookup that could answer otherwise.
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}
