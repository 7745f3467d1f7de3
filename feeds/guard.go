package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenAddress matches (errors.Is) a fetch that FetcherOptions.PublicOnly
// refused: the URL, or a redirect, leads to an address that is not public, or the
// location is not an http(s) URL at all.
var ErrForbiddenAddress = errors.New("address not allowed")

// forbiddenError is a refused location; it matches ErrForbiddenAddress.
type forbiddenError struct {
	// addr is the refused address; zero for a location that is not http(s).
	addr netip.Addr
	// kind says what addr is ("loopback", "private" …), or what the location is.
	kind string
}

func (e *forbiddenError) Error() string {
	if !e.addr.IsValid() {
		return "refused " + e.kind + ": only http(s) URLs may be fetched"
	}
	return fmt.Sprintf("refused to connect to %s, %s address", e.addr, withArticle(e.kind))
}

func (e *forbiddenError) Is(target error) bool { return target == ErrForbiddenAddress }

// withArticle puts "a" or "an" before word.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// IsPublicAddr reports whether a is a public unicast address, one that content from
// the internet may make the bot connect to: not loopback, private (RFC 1918,
// fc00::/7, 100.64/10), link-local (169.254/16 with the cloud metadata service,
// fe80::/10), unspecified, multicast, broadcast or reserved for documentation,
// benchmarks or future use. IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
// forms are judged by the IPv4 address they carry.
func IsPublicAddr(a netip.Addr) bool { return addrKind(a) == "" }

// Reserved ranges that the netip predicates do not cover.
var (
	nonPublic4 = []struct {
		p    netip.Prefix
		kind string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), "reserved"},      // "this network"
		{netip.MustParsePrefix("100.64.0.0/10"), "private"},   // carrier-grade NAT
		{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},   // IETF protocol assignments
		{netip.MustParsePrefix("192.0.2.0/24"), "reserved"},   // documentation
		{netip.MustParsePrefix("192.88.99.0/24"), "reserved"}, // 6to4 relays, deprecated
		{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},  // benchmarking
		{netip.MustParsePrefix("198.51.100.0/24"), "reserved"},
		{netip.MustParsePrefix("203.0.113.0/24"), "reserved"},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // future use and broadcast
	}
	// global6 is the only IPv6 range allocated for global unicast.
	global6    = netip.MustParsePrefix("2000::/3")
	nonPublic6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments, Teredo
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("3fff::/20"),     // documentation
	}
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// addrKind says why a is not public ("loopback", "private", "link-local",
// "multicast", "unspecified", "reserved"), or "" when it is public.
func addrKind(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.IsPrivate():
		return "private"
	}
	if a.Is4() {
		for _, r := range nonPublic4 {
			if r.p.Contains(a) {
				return r.kind
			}
		}
		return ""
	}
	// Translated and tunnelled forms reach the IPv4 address they carry.
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return addrKind(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return addrKind(netip.AddrFrom4([4]byte(b[2:6])))
	case !global6.Contains(a):
		return "reserved"
	}
	for _, p := range nonPublic6 {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

// dialGuard makes a Fetcher with PublicOnly connect only to permitted addresses. The
// check is on the resolved address, at connect time, for every connection (redirect
// hops included), so neither DNS rebinding nor a redirect gets around it.
type dialGuard struct {
	allow []netip.Prefix
	// lookup resolves a host name; dial connects to an "ip:port". Tests replace them,
	// so that no test needs DNS or touches a public address.
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	dial   func(ctx context.Context, network, address string) (net.Conn, error)
}

func newDialGuard(allow []netip.Prefix, d *net.Dialer) *dialGuard {
	g := &dialGuard{allow: allow, lookup: net.DefaultResolver.LookupNetIP}
	// Control sees the address a socket is about to connect to: a last check, should
	// anything ever reach the dialer with a host name.
	d.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("unexpected address %q: %w", address, ErrForbiddenAddress)
		}
		return g.check(ap.Addr())
	}
	g.dial = d.DialContext
	return g
}

// check returns a *forbiddenError unless a is public or in an allowed network.
func (g *dialGuard) check(a netip.Addr) error {
	kind := addrKind(a)
	if kind == "" {
		return nil
	}
	plain := a.WithZone("")
	for _, p := range g.allow {
		if p.Contains(plain) || p.Contains(plain.Unmap()) {
			return nil
		}
	}
	return &forbiddenError{addr: a, kind: kind}
}

// checkURL refuses, before any connection, a URL that is not http(s) or whose host is
// a literal address that is not permitted. Host names are left to DialContext.
func (g *dialGuard) checkURL(u *url.URL) error {
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return &forbiddenError{kind: withArticle(s + " URL")}
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		return g.check(a)
	}
	return nil
}

// DialContext resolves the host of address, drops the addresses that are not
// permitted and connects to the first remaining one that answers, by IP, so what is
// checked is what is dialled.
func (g *dialGuard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ipNet := "ip"
		switch network {
		case "tcp4":
			ipNet = "ip4"
		case "tcp6":
			ipNet = "ip6"
		}
		if addrs, err = g.lookup(ctx, ipNet, host); err != nil {
			return nil, err
		}
	}
	var refused, failed error
	for _, a := range addrs {
		if err := g.check(a); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		conn, err := g.dial(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		failed = err
		if ctx.Err() != nil {
			break
		}
	}
	switch {
	case failed != nil:
		return nil, failed
	case refused != nil:
		return nil, refused
	}
	return nil, &net.DNSError{Err: "no address found", Name: host, IsNotFound: true}
}
