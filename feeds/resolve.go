package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultAppleBaseURL is the iTunes Search API, public and keyless.
const DefaultAppleBaseURL = "https://itunes.apple.com"

// maxResolveBody caps an iTunes answer; 25 results are a few tens of KiB.
const maxResolveBody = 2 << 20

// ErrNotFound matches (errors.Is) a Resolve that found no podcast.
var ErrNotFound = errors.New("feeds: no podcast found in the Apple directory")

// Resolver finds a podcast's feed URL from its name or its Apple Podcasts page, through
// Apple's iTunes Search API. It is safe for concurrent use.
type Resolver struct {
	client    *http.Client
	baseURL   string
	userAgent string
}

// NewResolver returns a Resolver using client (nil: a client with a 15s timeout) and
// baseURL ("" : DefaultAppleBaseURL; tests point it at a fake).
func NewResolver(client *http.Client, baseURL string) *Resolver {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	if baseURL == "" {
		baseURL = DefaultAppleBaseURL
	}
	return &Resolver{client: client, baseURL: strings.TrimRight(baseURL, "/"), userAgent: defaultUserAgent()}
}

// Query names a podcast: by ApplePage (wins when set), else by Title and optional Author.
type Query struct {
	Title     string
	Author    string
	ApplePage string
}

// String describes q for error messages: `"Post Mortem" by François Paupier`.
func (q Query) String() string {
	if q.ApplePage != "" {
		return RedactURL(q.ApplePage)
	}
	s := strconv.Quote(q.Title)
	if q.Author != "" {
		s += " by " + q.Author
	}
	return s
}

// notFoundError carries a precise message while matching ErrNotFound.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// appleResult is the part of an iTunes result we use.
type appleResult struct {
	CollectionID   int64  `json:"collectionId"`
	TrackID        int64  `json:"trackId"`
	CollectionName string `json:"collectionName"`
	TrackName      string `json:"trackName"`
	ArtistName     string `json:"artistName"`
	FeedURL        string `json:"feedUrl"`
}

// Resolve returns the feed URL of the podcast q names.
func (r *Resolver) Resolve(ctx context.Context, q Query) (string, error) {
	if q.ApplePage != "" {
		return r.resolvePage(ctx, q)
	}
	if strings.TrimSpace(q.Title) == "" {
		return "", errors.New("feeds: resolve: a podcast needs a feed URL, an Apple Podcasts page or a title")
	}
	term := q.Title
	if q.Author != "" {
		term += " " + q.Author
	}
	terms := []string{term}
	if q.Author != "" {
		// Apple's term search matches words across fields and sometimes misses when the
		// author is spelt differently; the title alone still finds it, and we check the
		// author ourselves.
		terms = append(terms, q.Title)
	}
	title, author := fold(q.Title), FoldTitle(q.Author)
	for _, term := range terms {
		v := url.Values{"media": {"podcast"}, "entity": {"podcast"}, "term": {term}, "limit": {"25"}}
		results, err := r.get(ctx, "/search?"+v.Encode(), q)
		if err != nil {
			return "", err
		}
		for _, res := range results {
			if res.FeedURL == "" {
				continue
			}
			if fold(res.CollectionName) != title && fold(res.TrackName) != title {
				continue
			}
			if author != "" && !strings.Contains(" "+FoldTitle(res.ArtistName)+" ", " "+author+" ") {
				continue
			}
			return res.FeedURL, nil
		}
	}
	what := "title"
	if q.Author != "" {
		what = "title and author"
	}
	return "", &notFoundError{fmt.Sprintf("feeds: resolve %s: no podcast with that %s in the Apple directory", q, what)}
}

func (r *Resolver) resolvePage(ctx context.Context, q Query) (string, error) {
	id, err := ApplePodcastID(q.ApplePage)
	if err != nil {
		return "", err
	}
	v := url.Values{"id": {strconv.FormatInt(id, 10)}, "entity": {"podcast"}}
	results, err := r.get(ctx, "/lookup?"+v.Encode(), q)
	if err != nil {
		return "", err
	}
	for _, res := range results {
		// A lookup can return related items; keep the podcast itself.
		if res.FeedURL == "" || (res.CollectionID != 0 && res.CollectionID != id) {
			continue
		}
		return res.FeedURL, nil
	}
	return "", &notFoundError{fmt.Sprintf("feeds: resolve %s: no podcast with id %d and a public feed in the Apple directory", q, id)}
}

// get calls the iTunes API and decodes its results.
func (r *Resolver) get(ctx context.Context, pathQuery string, q Query) ([]appleResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.baseURL+pathQuery, nil)
	if err != nil {
		return nil, fmt.Errorf("feeds: resolve %s: %w", q, err)
	}
	req.Header.Set("User-Agent", r.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL repeats the query; the cause is what matters
		}
		return nil, fmt.Errorf("feeds: resolve %s: Apple directory: %w", q, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("feeds: resolve %s: Apple directory: %w", q, statusError(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResolveBody+1))
	if err != nil {
		return nil, fmt.Errorf("feeds: resolve %s: Apple directory: %w", q, err)
	}
	if len(body) > maxResolveBody {
		return nil, fmt.Errorf("feeds: resolve %s: Apple directory: %w", q, ErrTooLarge)
	}
	var out struct {
		Results []appleResult `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("feeds: resolve %s: Apple directory sent bad JSON: %w", q, err)
	}
	return out.Results, nil
}

// appleIDPart is the "id1526220015" path segment of an Apple Podcasts page.
var appleIDPart = regexp.MustCompile(`^id([0-9]+)$`)

// ApplePodcastID extracts the podcast id from an Apple Podcasts page URL such as
// https://podcasts.apple.com/fr/podcast/post-mortem/id1526220015 (episode links, with
// ?i=…, carry the podcast's id in the path too).
func ApplePodcastID(pageURL string) (int64, error) {
	bad := fmt.Errorf("feeds: %q is not an Apple Podcasts page URL (expected https://podcasts.apple.com/…/id123456789)", RedactURL(pageURL))
	u, err := url.Parse(strings.TrimSpace(pageURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return 0, bad
	}
	host := strings.ToLower(u.Hostname())
	if host != "apple.com" && !strings.HasSuffix(host, ".apple.com") {
		return 0, bad
	}
	parts := strings.Split(u.Path, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if m := appleIDPart.FindStringSubmatch(parts[i]); m != nil {
			if id, err := strconv.ParseInt(m[1], 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	// Old iTunes links: itunes.apple.com/WebObjects/…?id=N
	if id, err := strconv.ParseInt(u.Query().Get("id"), 10, 64); err == nil && id > 0 {
		return id, nil
	}
	return 0, bad
}
