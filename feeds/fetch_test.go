package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pmbot/pmbot/localfile"
)

const testFeed = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Post Mortem</title></channel></rss>`

// fixedNow is the injected clock, so Retry-After dates give exact durations.
var fixedNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// fakeFeedServer is a scripted feed host: one handler per path, and a record of the
// conditional headers each request carried.
type fakeFeedServer struct {
	*httptest.Server
	mu  sync.Mutex
	got []http.Header
	// bomb is built on first use, by the tests that need it.
	bomb func() []byte
}

func newFakeFeedServer(t testing.TB) *fakeFeedServer {
	t.Helper()
	s := &fakeFeedServer{bomb: sync.OnceValue(func() []byte { return gzipBomb(t, 100<<20) })}
	mux := http.NewServeMux()
	feed := func(w http.ResponseWriter, r *http.Request, etag, lastMod string) {
		if etag != "" {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if lastMod != "" {
			w.Header().Set("Last-Modified", lastMod)
			if r.Header.Get("If-Modified-Since") == lastMod {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, testFeed)
	}
	mux.HandleFunc("/etag.xml", func(w http.ResponseWriter, r *http.Request) { feed(w, r, `"v1"`, "") })
	mux.HandleFunc("/lastmod.xml", func(w http.ResponseWriter, r *http.Request) {
		feed(w, r, "", "Mon, 10 Mar 2025 08:00:00 GMT")
	})
	mux.HandleFunc("/plain.xml", func(w http.ResponseWriter, r *http.Request) { feed(w, r, "", "") })
	mux.HandleFunc("/gzip.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, testFeed)
		zw.Close()
	})
	status := func(code int, retryAfter string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			http.Error(w, http.StatusText(code), code)
		}
	}
	mux.Handle("/404", status(404, ""))
	mux.Handle("/410", status(410, ""))
	mux.Handle("/429-seconds", status(429, "120"))
	mux.Handle("/429-date", status(429, fixedNow.Add(90*time.Second).Format(http.TimeFormat)))
	mux.Handle("/429-huge", status(429, "99999999999999"))
	mux.Handle("/429", status(429, ""))
	mux.Handle("/503", status(503, "300"))
	mux.Handle("/503-bare", status(503, ""))
	mux.Handle("/500", status(500, "60")) // Retry-After is only honoured on 429/503
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss>")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item>endless</item>"), 1000)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/big-length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "50000000")
		io.WriteString(w, "<rss>") // a lie; the length alone must be refused
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(s.bomb())
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	redirect := func(to string, code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
	}
	mux.Handle("/moved", redirect("/plain.xml", http.StatusMovedPermanently))
	mux.Handle("/moved308", redirect("/moved", http.StatusPermanentRedirect))
	mux.Handle("/found", redirect("/plain.xml", http.StatusFound))
	mux.Handle("/moved-then-found", redirect("/found", http.StatusMovedPermanently))
	mux.Handle("/moved-etag", redirect("/etag.xml", http.StatusMovedPermanently))
	mux.Handle("/moved-404", redirect("/404", http.StatusMovedPermanently))
	mux.HandleFunc("/bad-location", func(w http.ResponseWriter, r *http.Request) {
		// Invalid (a space in the host), so the client's error quotes it.
		w.Header().Set("Location", "http://alice:s3cret@exa mple.com/%zz?token=s3cret")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/latin1.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write([]byte("<rss><channel><title>Caf\xe9 cr\xe8me</title></channel></rss>"))
	})
	mux.HandleFunc("/latin1-declared.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Caf` + "\xe9</title></rss>"))
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Header.Clone())
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// lastHeader is the header of the last request the server saw.
func (s *fakeFeedServer) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[len(s.got)-1]
}

// gzipBomb returns a small gzip stream that decodes to n zero bytes (n a multiple of
// 1 MiB). It repeats one compressed MiB as gzip members, which readers concatenate, so
// building it is cheap even under the race detector.
func gzipBomb(t testing.TB, n int) []byte {
	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	zw.Write(make([]byte, 1<<20))
	if err := zw.Close(); err != nil {
		t.Error(err)
	}
	return bytes.Repeat(member.Bytes(), n>>20)
}

func testFetcher(opts FetcherOptions) *Fetcher {
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute // only servers that never answer meet it
	}
	return NewFetcher(opts)
}

func TestFetchSuccess(t *testing.T) {
	srv := newFakeFeedServer(t)
	f := testFetcher(FetcherOptions{})
	u := srv.URL
	tests := []struct {
		name string
		st   FetchState
		want FetchResult
	}{
		{
			name: "200 with ETag",
			st:   FetchState{URL: u + "/etag.xml"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", ETag: `"v1"`, FinalURL: u + "/etag.xml"},
		},
		{
			name: "304 on If-None-Match keeps Last-Modified",
			st:   FetchState{URL: u + "/etag.xml", ETag: `"v1"`, LastModified: "Sun, 09 Mar 2025 08:00:00 GMT"},
			want: FetchResult{NotModified: true, ETag: `"v1"`, LastModified: "Sun, 09 Mar 2025 08:00:00 GMT", FinalURL: u + "/etag.xml"},
		},
		{
			name: "stale ETag gets the new body",
			st:   FetchState{URL: u + "/etag.xml", ETag: `"v0"`},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", ETag: `"v1"`, FinalURL: u + "/etag.xml"},
		},
		{
			name: "200 with Last-Modified",
			st:   FetchState{URL: u + "/lastmod.xml"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", LastModified: "Mon, 10 Mar 2025 08:00:00 GMT", FinalURL: u + "/lastmod.xml"},
		},
		{
			name: "304 on If-Modified-Since",
			st:   FetchState{URL: u + "/lastmod.xml", LastModified: "Mon, 10 Mar 2025 08:00:00 GMT"},
			want: FetchResult{NotModified: true, LastModified: "Mon, 10 Mar 2025 08:00:00 GMT", FinalURL: u + "/lastmod.xml"},
		},
		{
			name: "gzip body decoded",
			st:   FetchState{URL: u + "/gzip.xml"},
			want: FetchResult{Body: []byte(testFeed), FinalURL: u + "/gzip.xml"},
		},
		{
			name: "301 moves the feed",
			st:   FetchState{URL: u + "/moved"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", FinalURL: u + "/plain.xml", MovedTo: u + "/plain.xml"},
		},
		{
			name: "308 then 301 moves the feed",
			st:   FetchState{URL: u + "/moved308"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", FinalURL: u + "/plain.xml", MovedTo: u + "/plain.xml"},
		},
		{
			name: "301 then 304 still moves the feed",
			st:   FetchState{URL: u + "/moved-etag", ETag: `"v1"`},
			want: FetchResult{NotModified: true, ETag: `"v1"`, FinalURL: u + "/etag.xml", MovedTo: u + "/etag.xml"},
		},
		{
			name: "302 does not move the feed",
			st:   FetchState{URL: u + "/found"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", FinalURL: u + "/plain.xml"},
		},
		{
			name: "301 then 302 does not move the feed",
			st:   FetchState{URL: u + "/moved-then-found"},
			want: FetchResult{Body: []byte(testFeed), ContentType: "application/rss+xml; charset=utf-8", FinalURL: u + "/plain.xml"},
		},
		{
			name: "declared latin-1 converted to UTF-8",
			st:   FetchState{URL: u + "/latin1.xml"},
			want: FetchResult{Body: []byte("<rss><channel><title>Café crème</title></channel></rss>"), ContentType: "application/rss+xml; charset=utf-8", FinalURL: u + "/latin1.xml"},
		},
		{
			name: "XML encoding declaration left to the parser",
			st:   FetchState{URL: u + "/latin1-declared.xml"},
			want: FetchResult{Body: []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Caf` + "\xe9</title></rss>"), ContentType: "application/rss+xml; charset=ISO-8859-1", FinalURL: u + "/latin1-declared.xml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Fetch(context.Background(), tt.st)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchConditionalHeaders(t *testing.T) {
	srv := newFakeFeedServer(t)
	f := testFetcher(FetcherOptions{UserAgent: "pmbot-test"})
	tests := []struct {
		name string
		st   FetchState
		want http.Header
	}{
		{"no validators", FetchState{URL: srv.URL + "/plain.xml"}, http.Header{}},
		{"both validators", FetchState{URL: srv.URL + "/plain.xml", ETag: `W/"x"`, LastModified: "Mon, 10 Mar 2025 08:00:00 GMT"},
			http.Header{"If-None-Match": {`W/"x"`}, "If-Modified-Since": {"Mon, 10 Mar 2025 08:00:00 GMT"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.Fetch(context.Background(), tt.st); err != nil {
				t.Fatal(err)
			}
			h := srv.lastHeader()
			got := http.Header{}
			for _, k := range []string{"If-None-Match", "If-Modified-Since"} {
				if v, ok := h[k]; ok {
					got[k] = v
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conditional headers (-want +got):\n%s", diff)
			}
			if ua := h.Get("User-Agent"); ua != "pmbot-test" {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

func TestFetchDefaultUserAgent(t *testing.T) {
	srv := newFakeFeedServer(t)
	if _, err := NewFetcher(FetcherOptions{}).Fetch(context.Background(), FetchState{URL: srv.URL + "/plain.xml"}); err != nil {
		t.Fatal(err)
	}
	if ua := srv.lastHeader().Get("User-Agent"); !strings.HasPrefix(ua, "pmbot/") || !strings.HasSuffix(ua, "(+https://github.com/pmbot/pmbot)") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestFetchErrors(t *testing.T) {
	srv := newFakeFeedServer(t)
	u := srv.URL
	type want struct {
		Status     int
		RetryAfter time.Duration
		Permanent  bool
		Is         error // nil: only a *FetchError is expected
		Error      string
		Message    string
	}
	tests := []struct {
		name string
		opts FetcherOptions
		path string
		want want
	}{
		{"404", FetcherOptions{}, "/404", want{Status: 404, Permanent: true,
			Error: "feeds: fetch " + u + "/404: HTTP 404 Not Found", Message: "the feed server answered 404 Not Found: check the URL"}},
		{"410", FetcherOptions{}, "/410", want{Status: 410, Permanent: true,
			Error: "feeds: fetch " + u + "/410: HTTP 410 Gone", Message: "the feed server answered 410 Gone: the feed was removed; find its new URL"}},
		{"301 to 404", FetcherOptions{}, "/moved-404", want{Status: 404, Permanent: true,
			Error: "feeds: fetch " + u + "/moved-404: HTTP 404 Not Found", Message: "the feed server answered 404 Not Found: check the URL"}},
		{"429 Retry-After seconds", FetcherOptions{}, "/429-seconds", want{Status: 429, RetryAfter: 2 * time.Minute,
			Error: "feeds: fetch " + u + "/429-seconds: HTTP 429 Too Many Requests", Message: "the feed server asks us to slow down (retry after 2m)"}},
		{"429 Retry-After date", FetcherOptions{}, "/429-date", want{Status: 429, RetryAfter: 90 * time.Second,
			Error: "feeds: fetch " + u + "/429-date: HTTP 429 Too Many Requests", Message: "the feed server asks us to slow down (retry after 1m30s)"}},
		{"429 Retry-After capped", FetcherOptions{}, "/429-huge", want{Status: 429, RetryAfter: 24 * time.Hour,
			Error: "feeds: fetch " + u + "/429-huge: HTTP 429 Too Many Requests", Message: "the feed server asks us to slow down (retry after 24h)"}},
		{"429 without Retry-After", FetcherOptions{}, "/429", want{Status: 429,
			Error: "feeds: fetch " + u + "/429: HTTP 429 Too Many Requests", Message: "the feed server asks us to slow down"}},
		{"503 Retry-After", FetcherOptions{}, "/503", want{Status: 503, RetryAfter: 5 * time.Minute,
			Error: "feeds: fetch " + u + "/503: HTTP 503 Service Unavailable", Message: "the feed server is unavailable (503 Service Unavailable, retry after 5m)"}},
		{"503 without Retry-After", FetcherOptions{}, "/503-bare", want{Status: 503,
			Error: "feeds: fetch " + u + "/503-bare: HTTP 503 Service Unavailable", Message: "the feed server is unavailable (503 Service Unavailable)"}},
		{"500", FetcherOptions{}, "/500", want{Status: 500,
			Error: "feeds: fetch " + u + "/500: HTTP 500 Internal Server Error", Message: "the feed server failed (500 Internal Server Error)"}},
		{"empty body", FetcherOptions{}, "/empty", want{Is: ErrEmptyResponse,
			Error: "feeds: fetch " + u + "/empty: empty response", Message: "the feed server sent an empty response"}},
		{"slow headers", FetcherOptions{Timeout: 200 * time.Millisecond}, "/slow", want{Is: ErrTimeout,
			Error: "feeds: fetch " + u + "/slow: timed out after 200ms", Message: "the feed server did not answer within 200ms"}},
		{"slow body", FetcherOptions{Timeout: 200 * time.Millisecond}, "/slow-body", want{Is: ErrTimeout,
			Error: "feeds: fetch " + u + "/slow-body: timed out after 200ms", Message: "the feed server did not answer within 200ms"}},
		{"endless body", FetcherOptions{MaxBody: 1 << 20}, "/endless", want{Is: ErrTooLarge,
			Error: "feeds: fetch " + u + "/endless: response too large", Message: "the feed is larger than 1 MiB"}},
		{"Content-Length over the cap", FetcherOptions{MaxBody: 1 << 20}, "/big-length", want{Is: ErrTooLarge,
			Error: "feeds: fetch " + u + "/big-length: response too large", Message: "the feed is larger than 1 MiB"}},
		{"gzip bomb", FetcherOptions{MaxBody: 1 << 20}, "/bomb", want{Is: ErrTooLarge,
			Error: "feeds: fetch " + u + "/bomb: response too large", Message: "the feed is larger than 1 MiB"}},
		{"redirect loop", FetcherOptions{}, "/loop", want{Is: ErrTooManyRedirects,
			Error: "feeds: fetch " + u + "/loop: too many redirects", Message: "the feed URL redirects in a loop or more than 5 times: check the URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testFetcher(tt.opts).Fetch(context.Background(), FetchState{URL: u + tt.path})
			var fe *FetchError
			if !errors.As(err, &fe) {
				t.Fatalf("Fetch error = %v (%T), want a *FetchError", err, err)
			}
			if tt.want.Is != nil && !errors.Is(err, tt.want.Is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want.Is)
			}
			got := want{Status: fe.Status, RetryAfter: fe.RetryAfter, Permanent: fe.Permanent(), Is: tt.want.Is,
				Error: err.Error(), Message: fe.UserMessage()}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("Fetch error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFetchGzipBombMemory checks the cap applies while decoding: the 100 MiB of zeros
// are never held in memory.
func TestFetchGzipBombMemory(t *testing.T) {
	srv := newFakeFeedServer(t)
	f := testFetcher(FetcherOptions{MaxBody: 1 << 20})
	if n := len(srv.bomb()); n > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed; it should be tiny", n)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := f.Fetch(context.Background(), FetchState{URL: srv.URL + "/bomb"})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Fetch error = %v, want ErrTooLarge", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB", alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("fetching the bomb allocated %d MiB, want under 16", alloc>>20)
	}
}

func TestFetchRedactsCredentials(t *testing.T) {
	srv := newFakeFeedServer(t)
	// A port nobody listens on, for a transport error (whose text names the URL).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	withCreds := func(base string) string { return strings.Replace(base, "http://", "http://alice:s3cret@", 1) }
	tests := []struct {
		name, url string
		opts      FetcherOptions
	}{
		{"HTTP status", withCreds(srv.URL) + "/404", FetcherOptions{}},
		{"redirect loop", withCreds(srv.URL) + "/loop", FetcherOptions{}},
		{"timeout", withCreds(srv.URL) + "/slow", FetcherOptions{Timeout: 100 * time.Millisecond}},
		{"connection refused", withCreds(closed) + "/feed.xml", FetcherOptions{}},
		{"query token, HTTP status", srv.URL + "/404?token=s3cret&page=2", FetcherOptions{}},
		{"signed URL, redirect loop", srv.URL + "/loop?X-Amz-Credential=alice&X-Amz-Signature=s3cret", FetcherOptions{}},
		{"query token, connection refused", closed + "/feed.xml?api_key=s3cret", FetcherOptions{}},
		{"invalid Location header", srv.URL + "/bad-location", FetcherOptions{}},
		{"invalid URL", "http://alice:s3cret@exa mple.com/%zz?access_token=s3cret", FetcherOptions{}},
		{"unsupported scheme", "ftp://alice:s3cret@example.com/feed.xml?auth=s3cret", FetcherOptions{}},
		{"file path", filepath.Join(t.TempDir(), "feed.xml?token=s3cret"), FetcherOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testFetcher(tt.opts).Fetch(context.Background(), FetchState{URL: tt.url})
			var fe *FetchError
			if !errors.As(err, &fe) {
				t.Fatalf("Fetch error = %v, want a *FetchError", err)
			}
			for _, s := range []string{err.Error(), fe.UserMessage(), fe.URL} {
				if strings.Contains(s, "alice") || strings.Contains(s, "s3cret") {
					t.Errorf("credentials leaked: %q", s)
				}
			}
		})
	}
}

// TestFetchErrorRedacts: a FetchError built by anyone, with a cause quoting a URL,
// prints no secret.
func TestFetchErrorRedacts(t *testing.T) {
	fe := &FetchError{
		URL: "https://alice:s3cret@feeds.example.com/feed?token=s3cret",
		Err: errors.New(`failed to parse Location header "https://alice:s3cret@x y/?sig=s3cret"`),
	}
	want := `feeds: fetch https://feeds.example.com/feed?token=REDACTED: failed to parse Location header "https://x y/?sig=REDACTED"`
	if diff := cmp.Diff(want, fe.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
	if msg := fe.UserMessage(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "alice") {
		t.Errorf("UserMessage() = %q: secrets leaked", msg)
	}
}

func TestFetchCanceled(t *testing.T) {
	srv := newFakeFeedServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := testFetcher(FetcherOptions{}).Fetch(ctx, FetchState{URL: srv.URL + "/slow"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Fetch error = %v, want context.Canceled and not ErrTimeout", err)
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "my feed 100%.xml") // a path, not a URL: no escaping
	if err := os.WriteFile(path, []byte(testFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.xml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.xml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lastMod := "Sat, 01 Mar 2025 09:30:00 GMT"
	etag := fmt.Sprintf(`"%x-%x"`, mtime.UnixNano(), len(testFeed))
	fileURL := (&url.URL{Scheme: "file", Path: path}).String()
	f := testFetcher(FetcherOptions{MaxBody: 1024})

	tests := []struct {
		name string
		st   FetchState
		want FetchResult
	}{
		{"path", FetchState{URL: path}, FetchResult{Body: []byte(testFeed), ETag: etag, LastModified: lastMod, FinalURL: path}},
		{"file URL", FetchState{URL: fileURL}, FetchResult{Body: []byte(testFeed), ETag: etag, LastModified: lastMod, FinalURL: fileURL}},
		{"unchanged file", FetchState{URL: path, ETag: etag, LastModified: lastMod}, FetchResult{NotModified: true, ETag: etag, LastModified: lastMod, FinalURL: path}},
		// Edited within the same second: Last-Modified is equal, the ETag is not.
		{"changed file", FetchState{URL: path, ETag: `"1-1"`, LastModified: lastMod}, FetchResult{Body: []byte(testFeed), ETag: etag, LastModified: lastMod, FinalURL: path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Fetch(context.Background(), tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch (-want +got):\n%s", diff)
			}
		})
	}

	relDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(relDir, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("relative path", func(t *testing.T) {
		got, err := f.Fetch(context.Background(), FetchState{URL: rel})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, []byte(testFeed)) {
			t.Errorf("Body = %q", got.Body)
		}
	})

	errTests := []struct {
		name      string
		url       string
		is        error
		permanent bool
		message   string
	}{
		{"missing", filepath.Join(dir, "missing.xml"), os.ErrNotExist, true, "the feed file does not exist: check the path"},
		{"too large", big, ErrTooLarge, false, "the feed is larger than 1 KiB"},
		{"empty", empty, ErrEmptyResponse, false, "the feed file is empty"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), FetchState{URL: tt.url})
			var fe *FetchError
			if !errors.As(err, &fe) || !errors.Is(err, tt.is) {
				t.Fatalf("Fetch error = %v, want a *FetchError matching %v", err, tt.is)
			}
			if fe.Permanent() != tt.permanent {
				t.Errorf("Permanent() = %v", fe.Permanent())
			}
			if got := fe.UserMessage(); got != tt.message {
				t.Errorf("UserMessage() = %q, want %q", got, tt.message)
			}
		})
	}
}

// TestFetchFileRefusals: a path that is not a regular file is refused at once with a
// message an admin can act on, and a cancelled fetch says so.
func TestFetchFileRefusals(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(feed, []byte(testFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(feed)
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()

	tests := []struct {
		name    string
		ctx     context.Context
		st      FetchState
		is      error
		message string
	}{
		{"directory", context.Background(), FetchState{URL: dir}, localfile.ErrNotRegular,
			"the feed path is not a regular file (a directory); give the path of a feed file"},
		{"cancelled", canceled, FetchState{URL: feed}, context.Canceled, "the fetch was cancelled"},
		{"cancelled, unchanged file", canceled, FetchState{URL: feed, ETag: fileETag(info)}, context.Canceled, "the fetch was cancelled"},
		{"caller's deadline passed", expired, FetchState{URL: feed}, context.DeadlineExceeded, "the feed file could not be read in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testFetcher(FetcherOptions{}).Fetch(tt.ctx, tt.st)
			var fe *FetchError
			if !errors.As(err, &fe) || !errors.Is(err, tt.is) {
				t.Fatalf("Fetch error = %v, want a *FetchError matching %v", err, tt.is)
			}
			if errors.Is(err, ErrTimeout) {
				t.Errorf("Fetch error = %v: the caller's own deadline is not our timeout", err)
			}
			if diff := cmp.Diff(tt.message, fe.UserMessage()); diff != "" {
				t.Errorf("UserMessage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchBadURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"ftp://bob:pw@example.com/feed.xml", `feeds: fetch ftp://example.com/feed.xml: unsupported URL scheme "ftp"`},
		{"http://bob:pw@exa mple.com/%zz", "feeds: fetch http://exa mple.com/%zz: invalid feed URL"},
		{"  ", "feeds: fetch: no feed URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), FetchState{URL: tt.url})
			var fe *FetchError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Fatalf("Fetch error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestFetchMovedKeepsCredentials: a private feed moved on its host must keep its
// credentials, or the stored new URL would fail with 401 on the next poll.
func TestFetchMovedKeepsCredentials(t *testing.T) {
	srv := newFakeFeedServer(t)
	base := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	got, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), FetchState{URL: base + "/moved"})
	if err != nil {
		t.Fatal(err)
	}
	if want := base + "/plain.xml"; got.MovedTo != want {
		t.Errorf("MovedTo = %q, want %q", got.MovedTo, want)
	}
}

func TestFetchCharsetHelpers(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		wantBody, wantType      string
	}{
		{"utf-8 untouched", "<rss>Café</rss>", "text/xml; charset=iso-8859-1", "<rss>Café</rss>", "text/xml; charset=iso-8859-1"},
		{"windows-1252", "<rss>\x93quoted\x94</rss>", "text/xml; charset=windows-1252", "<rss>\u201cquoted\u201d</rss>", "text/xml; charset=utf-8"},
		{"no charset", "<rss>Caf\xe9</rss>", "text/xml", "<rss>Caf\xe9</rss>", "text/xml"},
		{"unknown charset", "<rss>Caf\xe9</rss>", "text/xml; charset=klingon", "<rss>Caf\xe9</rss>", "text/xml; charset=klingon"},
		{"BOM and declaration", "\xef\xbb\xbf <?xml version='1.0' encoding='latin1'?><rss>Caf\xe9</rss>", "text/xml; charset=latin1",
			"\xef\xbb\xbf <?xml version='1.0' encoding='latin1'?><rss>Caf\xe9</rss>", "text/xml; charset=latin1"},
		{"declaration without encoding", "<?xml version='1.0'?><rss>Caf\xe9</rss>", "text/xml; charset=latin1", "<?xml version='1.0'?><rss>Café</rss>", "text/xml; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := toUTF8([]byte(tt.body), tt.contentType)
			if diff := cmp.Diff([]string{tt.wantBody, tt.wantType}, []string{string(body), ct}); diff != "" {
				t.Errorf("toUTF8 (-want +got):\n%s", diff)
			}
			if tt.wantType == "text/xml; charset=utf-8" && !utf8.Valid(body) {
				t.Errorf("converted body is not UTF-8")
			}
		})
	}
}

func TestFetchHumanUnits(t *testing.T) {
	durations := map[time.Duration]string{
		200 * time.Millisecond: "200ms", 30 * time.Second: "30s", 2 * time.Minute: "2m",
		90 * time.Second: "1m30s", time.Hour: "1h", 24 * time.Hour: "24h", 90 * time.Minute: "1h30m",
	}
	for d, want := range durations {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
	sizes := map[int64]string{20 << 20: "20 MiB", 1 << 10: "1 KiB", 1500: "1500 bytes"}
	for n, want := range sizes {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFetchParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{fixedNow.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{fixedNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{fixedNow.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{"9999999999999999999", 0}, // overflows int64: unreadable
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, fixedNow); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func BenchmarkFetchNotModified(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{})
	st := FetchState{URL: srv.URL + "/feed.xml", ETag: `"v1"`}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := f.Fetch(ctx, st)
		if err != nil || !res.NotModified {
			b.Fatalf("Fetch = %+v, %v", res, err)
		}
	}
}

func TestFetchGzipBombDecodesFully(t *testing.T) {
	// Guard the fixture: a bomb really decodes to its full size (3 MiB keeps this fast).
	zr, err := gzip.NewReader(bytes.NewReader(gzipBomb(t, 3<<20)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 3<<20 {
		t.Fatalf("bomb decodes to %d bytes, %v; want 3 MiB", n, err)
	}
}

// roundTripFunc is a Transport answering from a function, without any network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFetchTransportContentEncoding(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, testFeed)
	zw.Close()
	tests := []struct {
		name, encoding string
		body           []byte
	}{
		{"gzip", "gzip", gz.Bytes()},
		{"x-gzip", "x-gzip", gz.Bytes()},
		{"labelled gzip but plain", "gzip", []byte(testFeed)},
		{"identity", "", []byte(testFeed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotAE string
			f := testFetcher(FetcherOptions{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				gotAE = r.Header.Get("Accept-Encoding")
				h := http.Header{}
				if tt.encoding != "" {
					h.Set("Content-Encoding", tt.encoding)
				}
				return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(tt.body)), Request: r, ContentLength: -1}, nil
			})})
			got, err := f.Fetch(context.Background(), FetchState{URL: "https://feeds.example.com/feed.xml"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testFeed, string(got.Body)); diff != "" {
				t.Errorf("Body (-want +got):\n%s", diff)
			}
			if gotAE != "gzip" {
				t.Errorf("Accept-Encoding = %q, want gzip", gotAE)
			}
		})
	}
}
