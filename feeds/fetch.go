package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"github.com/pmbot/pmbot/localfile"
)

// Fetch defaults, after the limits of mature feed readers (Miniflux uses 15 MiB and 20 s;
// podcast feeds with years of show notes run larger).
const (
	DefaultMaxBody        = 20 << 20
	DefaultConnectTimeout = 10 * time.Second
	DefaultTimeout        = 30 * time.Second
	// MaxRedirects is how many redirects one fetch follows before giving up.
	MaxRedirects = 5
	// maxRetryAfter bounds a server's Retry-After so a hostile or buggy value cannot park
	// a feed for years (or overflow a Duration).
	maxRetryAfter = 24 * time.Hour
)

// Errors a fetch can be matched against with errors.Is.
var (
	// ErrTooLarge: the decoded body exceeds FetcherOptions.MaxBody.
	ErrTooLarge = errors.New("response too large")
	// ErrTooManyRedirects: more than MaxRedirects redirects, usually a loop.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTimeout: the fetch exceeded FetcherOptions.Timeout (or the connect timeout).
	ErrTimeout = errors.New("timed out")
	// ErrEmptyResponse: a success with no body.
	ErrEmptyResponse = errors.New("empty response")
)

// FetchState is what we remember about a feed between polls.
type FetchState struct {
	URL          string
	ETag         string
	LastModified string
}

// FetchResult is the outcome of one successful poll.
type FetchResult struct {
	// NotModified is true on a 304 (or an unchanged local file): nothing to parse.
	NotModified bool
	// Body is the decoded body (gzip removed, converted to UTF-8 when the server
	// declared another charset the XML does not); nil when NotModified.
	Body        []byte
	ContentType string
	// ETag and LastModified are the validators to store for the next poll: as the
	// server sent them, or the previous ones on a 304 that sent none.
	ETag         string
	LastModified string
	// FinalURL is the URL after redirects.
	FinalURL string
	// MovedTo is set when every redirect was permanent (301/308) and they led to a
	// different URL: the caller stores it as the feed's new URL.
	MovedTo string
}

// FetchError is a failed fetch. Neither its URL nor its messages carry credentials
// or secret query values (see RedactURL).
type FetchError struct {
	// URL is the feed's location, redacted.
	URL string
	// Status is the HTTP status, 0 when there was no HTTP answer.
	Status int
	// RetryAfter is the server's Retry-After on a 429 or 503, capped at 24h.
	RetryAfter time.Duration
	Err        error

	// limit and wait let UserMessage name the numbers the admin configured.
	limit int64
	wait  time.Duration
	// file is set for a local feed, so messages speak of a file, not a server.
	file bool
}

// Error implements error. The URL and the cause are redacted again here: the fields
// are exported, and a cause may quote a URL (a bad Location header does).
func (e *FetchError) Error() string {
	if e.URL == "" {
		return "feeds: fetch: " + redactText(e.Err.Error())
	}
	return "feeds: fetch " + RedactURL(e.URL) + ": " + redactText(e.Err.Error())
}

// Unwrap gives errors.Is/As access to the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Permanent reports whether retrying the same URL is pointless: the server says the feed
// is not (or no longer) there, or the local file does not exist.
func (e *FetchError) Permanent() bool {
	return e.Status == http.StatusNotFound || e.Status == http.StatusGone ||
		(e.Status == 0 && errors.Is(e.Err, fs.ErrNotExist))
}

// UserMessage says what went wrong and what to do, in words an admin can act on. It
// promises nothing about retrying: that is the caller's to say (a one-shot command
// does not retry; the bot does).
func (e *FetchError) UserMessage() string {
	status := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var forbidden *forbiddenError
	switch {
	case errors.As(e.Err, &forbidden) && forbidden.addr.IsValid():
		return fmt.Sprintf("the URL leads to %s address (%s), which feeds may not make the bot reach; an operator can allow that network with allow_networks",
			withArticle(forbidden.kind), forbidden.addr)
	case errors.As(e.Err, &forbidden):
		return "the location is " + forbidden.kind + ", which feeds may not make the bot read; only http(s) URLs are fetched here"
	case e.Status == http.StatusNotFound:
		return "the feed server answered " + status + ": check the URL"
	case e.Status == http.StatusGone:
		return "the feed server answered " + status + ": the feed was removed; find its new URL"
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return "the feed server answered " + status + ": the feed is private or refuses bots; check the URL and its credentials"
	case e.Status == http.StatusTooManyRequests:
		return "the feed server asks us to slow down" + e.retryAfter("")
	case e.Status == http.StatusServiceUnavailable:
		return "the feed server is unavailable (" + status + e.retryAfter(", ") + ")"
	case e.Status >= 500:
		return "the feed server failed (" + status + ")"
	case e.Status != 0:
		return "the feed server answered " + status
	case errors.Is(e.Err, ErrTooLarge):
		return "the feed is larger than " + humanSize(e.limit)
	case errors.Is(e.Err, ErrTimeout) && e.file:
		return "the feed file could not be read within " + humanDuration(e.wait)
	case errors.Is(e.Err, ErrTimeout):
		return "the feed server did not answer within " + humanDuration(e.wait)
	case errors.Is(e.Err, ErrTooManyRedirects):
		return fmt.Sprintf("the feed URL redirects in a loop or more than %d times: check the URL", MaxRedirects)
	case errors.Is(e.Err, ErrEmptyResponse) && e.file:
		return "the feed file is empty"
	case errors.Is(e.Err, ErrEmptyResponse):
		return "the feed server sent an empty response"
	case errors.Is(e.Err, localfile.ErrNotRegular):
		// localfile says which kind in parentheses: "not a regular file (a named pipe)".
		detail, _ := strings.CutPrefix(e.Err.Error(), localfile.ErrNotRegular.Error())
		if !strings.HasPrefix(detail, " (") {
			detail = ""
		}
		return "the feed path is not a regular file" + detail + "; give the path of a feed file"
	case errors.Is(e.Err, fs.ErrNotExist):
		return "the feed file does not exist: check the path"
	case errors.Is(e.Err, fs.ErrPermission) && e.file:
		return "the bot may not read the feed file (permission denied): check the file's permissions"
	case errors.Is(e.Err, context.Canceled):
		return "the fetch was cancelled"
	case errors.Is(e.Err, context.DeadlineExceeded) && e.file:
		return "the feed file could not be read in time"
	case errors.Is(e.Err, context.DeadlineExceeded):
		return "the feed server did not answer in time"
	case errors.As(e.Err, &dnsErr):
		return "the feed's host name " + strconv.Quote(dnsErr.Name) + " could not be resolved: check the URL"
	case errors.As(e.Err, &certErr):
		return "the feed server's TLS certificate is not valid"
	default:
		return "the feed could not be fetched: " + redactText(e.Err.Error())
	}
}

// retryAfter is the server's Retry-After for a message, after sep; "" when it sent none.
func (e *FetchError) retryAfter(sep string) string {
	switch {
	case e.RetryAfter <= 0:
		return ""
	case sep == "":
		return " (retry after " + humanDuration(e.RetryAfter) + ")"
	}
	return sep + "retry after " + humanDuration(e.RetryAfter)
}

// FetcherOptions configures a Fetcher; zero values mean the defaults.
type FetcherOptions struct {
	// MaxBody caps the decoded body, so a gzip bomb is stopped too. Default 20 MiB.
	MaxBody int64
	// ConnectTimeout bounds dialling. Default 10s. Ignored when Transport is set.
	ConnectTimeout time.Duration
	// Timeout bounds a whole fetch, redirects and body included, and the reading of a
	// local file. Default 30s.
	Timeout time.Duration
	// UserAgent defaults to "pmbot/<version> (+https://github.com/pmbot/pmbot)".
	UserAgent string
	// Transport replaces the default transport (tests). With PublicOnly, a custom
	// Transport gets only the checks made before connecting (scheme, literal
	// addresses): the connect-time check lives in the default transport's dialer.
	Transport http.RoundTripper
	// Now is the clock for Retry-After dates. Default time.Now.
	Now func() time.Time
	// PublicOnly makes the Fetcher refuse, with ErrForbiddenAddress, whatever a feed's
	// author could point it at to reach the bot's own network: a connection to an
	// address that is not public (see IsPublicAddr), checked on the resolved address
	// of every connection, redirects included; a local file or file:// URL. It also
	// ignores the HTTP proxy of the environment, which would reach internal hosts on
	// our behalf. Set it for URLs taken from feed content (podcast:chapters).
	PublicOnly bool
	// AllowNetworks are networks reachable even with PublicOnly: an intranet feed host
	// the operator trusts. Ignored without PublicOnly.
	AllowNetworks []netip.Prefix
}

// Fetcher fetches feeds over HTTP(S) or from local files. It is safe for concurrent use.
type Fetcher struct {
	client         *http.Client
	maxBody        int64
	timeout        time.Duration
	connectTimeout time.Duration
	userAgent      string
	now            func() time.Time
	// guard is set with PublicOnly.
	guard *dialGuard
}

// NewFetcher returns a Fetcher with opts, defaults filled in.
func NewFetcher(opts FetcherOptions) *Fetcher {
	f := &Fetcher{
		maxBody:        opts.MaxBody,
		timeout:        opts.Timeout,
		connectTimeout: opts.ConnectTimeout,
		userAgent:      opts.UserAgent,
		now:            opts.Now,
	}
	if f.maxBody <= 0 {
		f.maxBody = DefaultMaxBody
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.connectTimeout <= 0 {
		f.connectTimeout = DefaultConnectTimeout
	}
	if f.userAgent == "" {
		f.userAgent = defaultUserAgent()
	}
	if f.now == nil {
		f.now = time.Now
	}
	dialer := &net.Dialer{Timeout: f.connectTimeout, KeepAlive: 15 * time.Second}
	if opts.PublicOnly {
		f.guard = newDialGuard(append([]netip.Prefix(nil), opts.AllowNetworks...), dialer)
	}
	rt := opts.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = dialer.DialContext
		if f.guard != nil {
			t.DialContext = f.guard.DialContext
			t.Proxy = nil
		}
		// We set Accept-Encoding and decode ourselves, so the size cap sees decoded bytes
		// whatever the transport does.
		t.DisableCompression = true
		rt = t
	}
	f.client = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return ErrTooManyRedirects
			}
			if f.guard != nil {
				return f.guard.checkURL(req.URL)
			}
			return nil
		},
	}
	return f
}

// defaultUserAgent names the bot and its version so feed hosts can reach its maintainers.
func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "pmbot/" + v + " (+https://github.com/pmbot/pmbot)"
}

// Fetch polls the feed at st.URL, conditionally on st's validators. st.URL is an
// http(s) URL, a file:// URL or a filesystem path. Every error is a *FetchError.
func (f *Fetcher) Fetch(ctx context.Context, st FetchState) (FetchResult, error) {
	loc := strings.TrimSpace(st.URL)
	shown := RedactURL(loc)
	scheme, _, hasScheme := strings.Cut(loc, "://")
	scheme = strings.ToLower(scheme)
	switch {
	case loc == "":
		return FetchResult{}, &FetchError{Err: errors.New("no feed URL")}
	case f.guard != nil && (!hasScheme || scheme == "file"):
		return FetchResult{}, &FetchError{URL: shown, Err: &forbiddenError{kind: "a local file"}}
	case !hasScheme:
		// A path is taken as is: parsing it as a URL would choke on "%" or a drive letter.
		return f.fetchFile(ctx, st, loc, shown)
	}
	u, err := url.Parse(loc)
	if err != nil {
		// The parse error repeats the URL, and its cause may quote the password ("invalid
		// port"); say only what is wrong.
		return FetchResult{}, &FetchError{URL: shown, Err: errors.New("invalid feed URL")}
	}
	switch scheme {
	case "http", "https":
		if f.guard != nil {
			if err := f.guard.checkURL(u); err != nil {
				return FetchResult{}, &FetchError{URL: shown, Err: err}
			}
		}
		return f.fetchHTTP(ctx, st, u, shown)
	case "file":
		return f.fetchFile(ctx, st, u.Path, shown)
	default:
		return FetchResult{}, &FetchError{URL: shown, Err: fmt.Errorf("unsupported URL scheme %q", u.Scheme)}
	}
}

func (f *Fetcher) fetchHTTP(ctx context.Context, st FetchState, u *url.URL, shown string) (FetchResult, error) {
	tctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	fail := func(err error) (FetchResult, error) {
		return FetchResult{}, f.classify(ctx, tctx, shown, err)
	}

	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8")
	req.Header.Set("Accept-Encoding", "gzip")
	if st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Header.Set("If-Modified-Since", st.LastModified)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()

	res := FetchResult{
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     resp.Request.URL.String(),
		MovedTo:      movedTo(u, resp),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified = true
		if res.ETag == "" {
			res.ETag = st.ETag
		}
		if res.LastModified == "" {
			res.LastModified = st.LastModified
		}
		return res, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		fe := &FetchError{URL: shown, Status: resp.StatusCode, Err: statusError(resp.StatusCode)}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			fe.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), f.now())
		}
		return FetchResult{}, fe
	}

	var body io.Reader = resp.Body
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if !resp.Uncompressed && (enc == "gzip" || enc == "x-gzip") {
		br := bufio.NewReader(resp.Body)
		// Some servers label plain bodies gzip; trust the magic bytes, not the header.
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return fail(fmt.Errorf("bad gzip body: %w", err))
			}
			defer zr.Close()
			body = zr
		} else {
			body = br
		}
	} else if resp.ContentLength > f.maxBody {
		return fail(ErrTooLarge) // refuse before downloading anything
	}
	res.Body, err = readCapped(body, f.maxBody)
	if err != nil {
		return fail(err)
	}
	res.Body, res.ContentType = toUTF8(res.Body, res.ContentType)
	return res, nil
}

// classify turns a transport or read error into a *FetchError with a matchable cause,
// dropping *url.Error, whose message repeats the URL (and its user name).
func (f *Fetcher) classify(parent, tctx context.Context, shown string, err error) error {
	fe := &FetchError{URL: shown, limit: f.maxBody, wait: f.timeout}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	var op *net.OpError
	var forbidden *forbiddenError
	switch {
	case errors.As(err, &forbidden):
		fe.Err = forbidden // without the dial or redirect wrapping
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrEmptyResponse):
		fe.Err = err
	case parent.Err() != nil:
		// The caller gave up (shutdown, its own deadline): say so, not "timed out".
		fe.Err = parent.Err()
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		fe.Err = fmt.Errorf("%w after %s", ErrTimeout, humanDuration(f.timeout))
	case errors.As(err, &ne) && ne.Timeout():
		if errors.As(err, &op) && op.Op == "dial" {
			fe.wait = f.connectTimeout
		}
		fe.Err = fmt.Errorf("%w after %s: %w", ErrTimeout, humanDuration(fe.wait), err)
	default:
		fe.Err = err
	}
	return fe
}

// statusError is the cause of a non-2xx answer: "HTTP 404 Not Found".
func statusError(code int) error {
	if text := http.StatusText(code); text != "" {
		return fmt.Errorf("HTTP %d %s", code, text)
	}
	return fmt.Errorf("HTTP %d", code)
}

// movedTo returns the final URL when the redirect chain behind resp is all permanent and
// leads elsewhere; a single temporary hop means the old URL stays canonical.
func movedTo(orig *url.URL, resp *http.Response) string {
	hops := 0
	// Each redirected request keeps the response that caused it in req.Response.
	for r := resp.Request.Response; r != nil; r = r.Request.Response {
		if r.StatusCode != http.StatusMovedPermanently && r.StatusCode != http.StatusPermanentRedirect {
			return ""
		}
		hops++
	}
	final := *resp.Request.URL
	if final.User == nil && orig.User != nil && strings.EqualFold(final.Host, orig.Host) {
		// A private feed moved on its host keeps its credentials, which the Location
		// header never repeats; otherwise the next poll would get a 401.
		final.User = orig.User
	}
	if hops == 0 || final.String() == orig.String() {
		return ""
	}
	return final.String()
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return max(0, min(d, maxRetryAfter))
}

// fetchFile reads a local feed through localfile, so a FIFO, a device or a directory
// given as a feed is refused at once instead of blocking the bot (and its shutdown)
// forever. The fetcher's Timeout bounds the read as it bounds an HTTP fetch.
func (f *Fetcher) fetchFile(ctx context.Context, st FetchState, path, shown string) (FetchResult, error) {
	tctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	fail := func(err error) (FetchResult, error) {
		return FetchResult{}, f.classifyFile(ctx, tctx, shown, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// An unchanged file is not read again. Stat never blocks, whatever the path is;
	// anything but a regular file goes on to localfile.Read, which says what it is.
	if st.ETag != "" {
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && fileETag(info) == st.ETag {
			return FetchResult{NotModified: true, ETag: st.ETag, LastModified: fileLastModified(info), FinalURL: st.URL}, nil
		}
	}
	body, info, err := localfile.Read(tctx, path, f.maxBody)
	if err != nil {
		return fail(err)
	}
	if len(body) == 0 {
		return fail(ErrEmptyResponse)
	}
	return FetchResult{Body: body, ETag: fileETag(info), LastModified: fileLastModified(info), FinalURL: st.URL}, nil
}

// fileETag plays the ETag of a local feed with its mtime (to the nanosecond) and
// size, so a feed is only parsed again when edited, even twice within a second.
func fileETag(info fs.FileInfo) string {
	return fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size())
}

func fileLastModified(info fs.FileInfo) string {
	return info.ModTime().UTC().Format(http.TimeFormat)
}

// classifyFile turns a localfile error into a *FetchError with a matchable cause.
func (f *Fetcher) classifyFile(parent, tctx context.Context, shown string, err error) error {
	fe := &FetchError{URL: shown, limit: f.maxBody, wait: f.timeout, file: true}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in the message
	}
	switch {
	case errors.Is(err, localfile.ErrTooLarge):
		fe.Err = ErrTooLarge
	case !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		fe.Err = err
	case parent.Err() != nil:
		// The caller gave up (shutdown, its own deadline): say so, not "timed out".
		fe.Err = parent.Err()
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		fe.Err = fmt.Errorf("%w after %s", ErrTimeout, humanDuration(f.timeout))
	default:
		fe.Err = err
	}
	return fe
}

// readCapped reads at most maxBody bytes, failing with ErrTooLarge beyond and with
// ErrEmptyResponse on nothing.
func readCapped(r io.Reader, maxBody int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	switch {
	case int64(len(b)) > maxBody:
		return nil, ErrTooLarge
	case err != nil:
		return nil, err
	case len(b) == 0:
		return nil, ErrEmptyResponse
	}
	return b, nil
}

// toUTF8 converts body to UTF-8 when the server declared a charset, the body is not
// UTF-8 already and the XML does not declare its own encoding (which the parser honours
// and which wins over the header for XML). The returned content type says utf-8.
func toUTF8(body []byte, contentType string) ([]byte, string) {
	if utf8.Valid(body) || xmlDeclaresEncoding(body) {
		return body, contentType
	}
	mt, params, err := mime.ParseMediaType(contentType)
	label := strings.ToLower(params["charset"])
	if err != nil || label == "" || label == "utf-8" || label == "utf8" {
		return body, contentType
	}
	r, err := charset.NewReaderLabel(label, bytes.NewReader(body))
	if err != nil {
		return body, contentType // unknown charset: leave it to the parser
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return body, contentType
	}
	params["charset"] = "utf-8"
	return out, mime.FormatMediaType(mt, params)
}

// xmlDeclaresEncoding reports whether body starts with an XML declaration naming an
// encoding.
func xmlDeclaresEncoding(body []byte) bool {
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return false
	}
	end := bytes.Index(b, []byte("?>"))
	return end > 0 && bytes.Contains(b[:end], []byte("encoding"))
}

// humanDuration prints 2m rather than 2m0s.
func humanDuration(d time.Duration) string {
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") { // 2m0s -> 2m, 1h0m0s -> 1h0m
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") { // 1h0m -> 1h
		s = s[:len(s)-2]
	}
	return s
}

// humanSize prints 20 MiB rather than 20971520.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
