package feeds

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want string // addrKind: "" for public
	}{
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"11.0.0.1", ""},
		{"100.63.255.255", ""}, // just below carrier-grade NAT
		{"100.128.0.0", ""},    // just above
		{"172.32.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},  // 6to4 of 8.8.8.8

		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::7f00:1", "loopback"}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::1", "loopback"},  // 6to4 of 127.0.0.1
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"2002:c0a8:101::1", "private"}, // 6to4 of 192.168.1.1
		{"100.64.0.1", "private"},
		{"100.127.255.255", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"169.254.169.254", "link-local"},
		{"::ffff:169.254.169.254", "link-local"},
		{"64:ff9b::a9fe:a9fe", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"0.1.2.3", "reserved"},
		{"255.255.255.255", "reserved"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.1", "reserved"},
		{"192.0.2.1", "reserved"},
		{"198.18.0.1", "reserved"},
		{"198.19.255.255", "reserved"},
		{"198.51.100.1", "reserved"},
		{"203.0.113.1", "reserved"},
		{"2001:db8::1", "reserved"},
		{"2001::1", "reserved"}, // Teredo
		{"3fff::1", "reserved"},
		{"::127.0.0.1", "reserved"}, // IPv4-compatible, deprecated
		{"64:ff9b:1::1", "reserved"},
		{"fec0::1", "reserved"},
		{"4000::1", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if got := addrKind(a); got != tt.want {
				t.Errorf("addrKind(%s) = %q, want %q", a, got, tt.want)
			}
			if got := IsPublicAddr(a); got != (tt.want == "") {
				t.Errorf("IsPublicAddr(%s) = %v", a, got)
			}
		})
	}
	if IsPublicAddr(netip.Addr{}) {
		t.Error("IsPublicAddr(zero Addr) = true")
	}
}

// FuzzIsPublicAddr checks that the mapped, NAT64 and 6to4 forms of an IPv4 address
// are judged as the address itself, and that no address makes the check panic.
func FuzzIsPublicAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "8.8.8.8", "169.254.169.254", "10.0.0.1", "100.64.0.1", "255.255.255.255", "0.0.0.0"} {
		b := netip.MustParseAddr(s).As4()
		f.Add(b[:])
	}
	f.Add(netip.MustParseAddr("2606:4700::1").AsSlice())
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		_ = IsPublicAddr(a)
		if !a.Is4() {
			return
		}
		v4 := a.As4()
		want := IsPublicAddr(a)
		forms := map[string]netip.Addr{
			"mapped": netip.AddrFrom16(a.As16()),
			"NAT64":  netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 12: v4[0], v4[1], v4[2], v4[3]}),
			"6to4":   netip.AddrFrom16([16]byte{0x20, 0x02, v4[0], v4[1], v4[2], v4[3], 15: 1}),
		}
		for name, form := range forms {
			if got := IsPublicAddr(form); got != want {
				t.Errorf("IsPublicAddr(%s) = %v, but %s, its %s form, gives %v", form, got, a, name, want)
			}
		}
	})
}

// fakeNet stands in for DNS and the network under a PublicOnly Fetcher: host names
// resolve from hosts, every dial is recorded, a dial to a public address goes to
// the public server instead (so no test touches the internet), and loopback dials go
// through.
type fakeNet struct {
	hosts  map[string][]netip.Addr
	public string // host:port of the test server playing every public address

	mu    sync.Mutex
	dials []string
}

func (n *fakeNet) install(t *testing.T, f *Fetcher) {
	t.Helper()
	if f.guard == nil {
		t.Fatal("the Fetcher has no guard: PublicOnly not set?")
	}
	f.guard.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if addrs, ok := n.hosts[host]; ok {
			return addrs, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	f.guard.dial = n.dial
}

func (n *fakeNet) dial(ctx context.Context, network, address string) (net.Conn, error) {
	n.mu.Lock()
	n.dials = append(n.dials, address)
	n.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	switch {
	case ap.Addr().IsLoopback():
		return d.DialContext(ctx, network, address)
	case IsPublicAddr(ap.Addr()) && n.public != "":
		return d.DialContext(ctx, network, n.public)
	}
	return nil, errors.New("fakeNet: the test dialled " + address)
}

func (n *fakeNet) dialled() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dials...)
}

func TestFetchPublicOnly(t *testing.T) {
	srv := newFakeFeedServer(t)
	srvURL, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := srvURL.Port()
	addr := srvURL.Host // 127.0.0.1:port
	// The redirector sends every request to its "to" parameter.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	rAddr := strings.TrimPrefix(redirector.URL, "http://")
	via := func(to string) string { return redirector.URL + "/r?to=" + url.QueryEscape(to) }
	feedPath := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(feedPath, []byte(testFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := map[string][]netip.Addr{
		"feeds.example":     {netip.MustParseAddr("127.0.0.1")},
		"metadata.internal": {netip.MustParseAddr("169.254.169.254")},
		"mixed.example":     {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("127.0.0.1")},
		"public.example":    {netip.MustParseAddr("93.184.216.34")},
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	only127001 := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	refusal := func(what string) string {
		return "the URL leads to " + what + ", which feeds may not make the bot reach; an operator can allow that network with allow_networks"
	}
	const localFile = "the location is a local file, which feeds may not make the bot read; only http(s) URLs are fetched here"

	tests := []struct {
		name    string
		allow   []netip.Prefix
		url     string
		message string   // "" means success
		dials   []string // the addresses connected to
	}{
		{"loopback server refused", nil, srv.URL + "/plain.xml", refusal("a loopback address (127.0.0.1)"), nil},
		{"allowed network", loopback, srv.URL + "/plain.xml", "", []string{addr}},
		{"host name resolving to loopback", nil, "http://feeds.example:" + port + "/plain.xml", refusal("a loopback address (127.0.0.1)"), nil},
		{"host name resolving to an allowed network", loopback, "http://feeds.example:" + port + "/plain.xml", "", []string{addr}},
		{"only the permitted address of a host is dialled", loopback, "http://mixed.example:" + port + "/plain.xml", "", []string{addr}},
		{"public host name", nil, "http://public.example/plain.xml", "", []string{"93.184.216.34:80"}},
		{"redirect to a loopback literal", only127001, via("http://127.0.0.2:" + port + "/plain.xml"), refusal("a loopback address (127.0.0.2)"), []string{rAddr}},
		{"redirect to IPv6 loopback", only127001, via("http://[::1]:" + port + "/plain.xml"), refusal("a loopback address (::1)"), []string{rAddr}},
		{"redirect to a host name of the metadata service", only127001, via("http://metadata.internal/latest/meta-data/"), refusal("a link-local address (169.254.169.254)"), []string{rAddr}},
		{"redirect to a file URL", only127001, via("file://" + feedPath), "the location is a file URL, which feeds may not make the bot read; only http(s) URLs are fetched here", []string{rAddr}},
		{"metadata service literal", nil, "http://169.254.169.254/latest/meta-data/", refusal("a link-local address (169.254.169.254)"), nil},
		{"IPv4-mapped loopback literal", nil, "http://[::ffff:127.0.0.1]:" + port + "/plain.xml", refusal("a loopback address (::ffff:127.0.0.1)"), nil},
		{"IPv6 loopback literal", nil, "http://[::1]:" + port + "/plain.xml", refusal("a loopback address (::1)"), nil},
		{"NAT64 loopback literal", nil, "http://[64:ff9b::7f00:1]/plain.xml", refusal("a loopback address (64:ff9b::7f00:1)"), nil},
		{"unspecified literal", nil, "http://0.0.0.0:" + port + "/plain.xml", refusal("an unspecified address (0.0.0.0)"), nil},
		{"private literal", nil, "https://10.0.0.1/feed.xml", refusal("a private address (10.0.0.1)"), nil},
		{"local path", loopback, feedPath, localFile, nil},
		{"file URL", loopback, "file://" + feedPath, localFile, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFetcher(FetcherOptions{PublicOnly: true, AllowNetworks: tt.allow})
			n := &fakeNet{hosts: hosts, public: addr}
			n.install(t, f)
			got, err := f.Fetch(context.Background(), FetchState{URL: tt.url})
			if tt.message == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if !bytes.Equal(got.Body, []byte(testFeed)) {
					t.Errorf("Body = %q", got.Body)
				}
			} else {
				var fe *FetchError
				if !errors.As(err, &fe) {
					t.Fatalf("Fetch error = %v (%T), want a *FetchError", err, err)
				}
				if !errors.Is(err, ErrForbiddenAddress) {
					t.Errorf("errors.Is(%v, ErrForbiddenAddress) = false", err)
				}
				if diff := cmp.Diff(tt.message, fe.UserMessage()); diff != "" {
					t.Errorf("UserMessage (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.dials, n.dialled()); diff != "" {
				t.Errorf("dials (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFetchPublicOnlyLocalhost uses the system's resolver: "localhost" must be
// refused after resolution, before any connection.
func TestFetchPublicOnlyLocalhost(t *testing.T) {
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	srv := newFakeFeedServer(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := testFetcher(FetcherOptions{PublicOnly: true})
	var dials []string
	f.guard.dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials = append(dials, address)
		return nil, errors.New("no dial expected")
	}
	_, err = f.Fetch(context.Background(), FetchState{URL: "http://localhost:" + u.Port() + "/plain.xml"})
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Fetch error = %v, want ErrForbiddenAddress", err)
	}
	if len(dials) > 0 {
		t.Errorf("dialled %v", dials)
	}
}

// TestFetchPublicOnlyTransport: with a custom Transport, what can be checked before
// connecting still is; and without PublicOnly nothing is refused.
func TestFetchPublicOnlyTransport(t *testing.T) {
	called := 0
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		called++
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	f := testFetcher(FetcherOptions{PublicOnly: true, Transport: rt})
	_, err := f.Fetch(context.Background(), FetchState{URL: "http://127.0.0.1/feed.xml"})
	if !errors.Is(err, ErrForbiddenAddress) || called != 0 {
		t.Errorf("Fetch error = %v after %d requests, want ErrForbiddenAddress and none", err, called)
	}
	f = testFetcher(FetcherOptions{Transport: rt})
	if _, err := f.Fetch(context.Background(), FetchState{URL: "http://127.0.0.1/feed.xml"}); !errors.Is(err, ErrEmptyResponse) || called != 1 {
		t.Errorf("without PublicOnly: Fetch error = %v after %d requests, want ErrEmptyResponse after 1", err, called)
	}
}

// TestFetchPublicOnlyNoProxy: a proxy from the environment would connect to internal
// hosts on our behalf, beyond the dialer's check.
func TestFetchPublicOnlyNoProxy(t *testing.T) {
	for _, publicOnly := range []bool{false, true} {
		f := NewFetcher(FetcherOptions{PublicOnly: publicOnly})
		tr, ok := f.client.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport is a %T", f.client.Transport)
		}
		if got, want := tr.Proxy == nil, publicOnly; got != want {
			t.Errorf("PublicOnly %v: no proxy = %v, want %v", publicOnly, got, want)
		}
	}
}

// TestFetchPublicOnlyRealDialer runs the guard's own dialer, whose Control hook checks
// the address every socket connects to.
func TestFetchPublicOnlyRealDialer(t *testing.T) {
	srv := newFakeFeedServer(t)
	f := testFetcher(FetcherOptions{PublicOnly: true, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	got, err := f.Fetch(context.Background(), FetchState{URL: srv.URL + "/plain.xml"})
	if err != nil || !bytes.Equal(got.Body, []byte(testFeed)) {
		t.Fatalf("Fetch = %q, %v; want the feed", got.Body, err)
	}

	d := &net.Dialer{}
	newDialGuard([]netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}, d)
	tests := []struct {
		address string
		refused bool
	}{
		{"127.0.0.1:80", true},
		{"[::ffff:169.254.169.254]:80", true},
		{"[fe80::1%eth0]:80", true},
		{"10.2.0.1:443", true},
		{"10.1.2.3:443", false},
		{"8.8.8.8:53", false},
		{"not-an-address:80", true},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			// Control runs before connect: calling it alone connects nowhere.
			err := d.Control("tcp", tt.address, nil)
			if got := errors.Is(err, ErrForbiddenAddress); got != tt.refused {
				t.Errorf("Control(%s) = %v, want refused %v", tt.address, err, tt.refused)
			}
		})
	}
}
