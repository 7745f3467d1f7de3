package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeITunes answers /search and /lookup from fixed results and records the queries.
type fakeITunes struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string
}

func newFakeITunes(t *testing.T, status int, search map[string][]appleResult, lookup map[string][]appleResult) *fakeITunes {
	t.Helper()
	f := &fakeITunes{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.queries = append(f.queries, r.URL.Path+"?"+r.URL.RawQuery)
		f.mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "boom", status)
			return
		}
		q := r.URL.Query()
		var results []appleResult
		switch r.URL.Path {
		case "/search":
			if q.Get("media") != "podcast" || q.Get("entity") != "podcast" || q.Get("limit") != "25" {
				http.Error(w, "bad search parameters", http.StatusBadRequest)
				return
			}
			results = search[q.Get("term")]
		case "/lookup":
			if q.Get("entity") != "podcast" {
				http.Error(w, "bad lookup parameters", http.StatusBadRequest)
				return
			}
			results = lookup[q.Get("id")]
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{"resultCount": len(results), "results": results})
	}))
	t.Cleanup(f.Close)
	return f
}

const postMortemFeed = "https://feeds.example.com/post-mortem.xml"

func TestResolve(t *testing.T) {
	postMortem := appleResult{CollectionID: 1526220015, CollectionName: "Post Mortem", TrackName: "Post Mortem", ArtistName: "François Paupier", FeedURL: postMortemFeed}
	impostor := appleResult{CollectionID: 1, CollectionName: "Post-Mortem", ArtistName: "Someone Else", FeedURL: "https://impostor.example.com/feed"}
	noFeed := appleResult{CollectionID: 2, CollectionName: "Post Mortem", ArtistName: "François Paupier"}
	guests := appleResult{CollectionID: 3, CollectionName: "Le Café", TrackName: "Le Café", ArtistName: "Anne Dupont, Jean Martin & Guests", FeedURL: "https://cafe.example.com/rss"}
	search := map[string][]appleResult{
		"Post Mortem François Paupier": {impostor, noFeed, postMortem},
		"Post Mortem francois paupier": {impostor, postMortem},
		"Post Mortem":                  {impostor, postMortem},
		"post  MORTEM":                 {impostor, postMortem},
		"le cafe Anne Dupont":          {guests},
		"Le Café jean martin":          {guests},
		"Post Mortem Nobody":           {impostor},
	}
	lookup := map[string][]appleResult{"1526220015": {postMortem}}
	srv := newFakeITunes(t, http.StatusOK, search, lookup)
	r := NewResolver(srv.Client(), srv.URL)

	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"title and author", Query{Title: "Post Mortem", Author: "François Paupier"}, postMortemFeed},
		{"author without accents", Query{Title: "Post Mortem", Author: "francois paupier"}, postMortemFeed},
		{"title only takes the exact title", Query{Title: "Post Mortem"}, postMortemFeed},
		{"title case and spaces folded", Query{Title: "post  MORTEM"}, postMortemFeed},
		{"author among several names", Query{Title: "le cafe", Author: "Anne Dupont"}, "https://cafe.example.com/rss"},
		{"second author among several names", Query{Title: "Le Café", Author: "jean martin"}, "https://cafe.example.com/rss"},
		{"Apple page", Query{ApplePage: "https://podcasts.apple.com/fr/podcast/post-mortem/id1526220015"}, postMortemFeed},
		{"Apple episode link", Query{ApplePage: "https://podcasts.apple.com/fr/podcast/some-episode/id1526220015?i=1000650000000", Title: "ignored"}, postMortemFeed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(context.Background(), tt.q)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}

	errTests := []struct {
		name    string
		q       Query
		want    string
		queries []string
	}{
		{
			name: "wrong author rejected",
			q:    Query{Title: "Post Mortem", Author: "Nobody"},
			want: `feeds: resolve "Post Mortem" by Nobody: no podcast with that title and author in the Apple directory`,
			queries: []string{
				"/search?entity=podcast&limit=25&media=podcast&term=Post+Mortem+Nobody",
				"/search?entity=podcast&limit=25&media=podcast&term=Post+Mortem",
			},
		},
		{
			name:    "no results",
			q:       Query{Title: "Unknown Show"},
			want:    `feeds: resolve "Unknown Show": no podcast with that title in the Apple directory`,
			queries: []string{"/search?entity=podcast&limit=25&media=podcast&term=Unknown+Show"},
		},
		{
			name:    "unknown Apple id",
			q:       Query{ApplePage: "https://podcasts.apple.com/us/podcast/x/id42"},
			want:    `feeds: resolve https://podcasts.apple.com/us/podcast/x/id42: no podcast with id 42 and a public feed in the Apple directory`,
			queries: []string{"/lookup?entity=podcast&id=42"},
		},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.queries = nil
			srv.mu.Unlock()
			_, err := r.Resolve(context.Background(), tt.q)
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Resolve error = %v, want ErrNotFound", err)
			}
			if err.Error() != tt.want {
				t.Errorf("Resolve error = %q, want %q", err, tt.want)
			}
			if diff := cmp.Diff(tt.queries, srv.queries); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveFailures(t *testing.T) {
	broken := newFakeITunes(t, http.StatusInternalServerError, nil, nil)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>not json</html>"))
	}))
	t.Cleanup(garbage.Close)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"results":[{"collectionName":"`))
		w.Write([]byte(strings.Repeat("x", 3<<20)))
	}))
	t.Cleanup(huge.Close)

	tests := []struct {
		name    string
		base    string
		q       Query
		want    string
		wantErr error
	}{
		{"HTTP 500", broken.URL, Query{Title: "Post Mortem"}, `feeds: resolve "Post Mortem": Apple directory: HTTP 500 Internal Server Error`, nil},
		{"bad JSON", garbage.URL, Query{Title: "Post Mortem"}, `feeds: resolve "Post Mortem": Apple directory sent bad JSON: invalid character '<' looking for beginning of value`, nil},
		{"body over 2 MiB", huge.URL, Query{Title: "Post Mortem"}, `feeds: resolve "Post Mortem": Apple directory: response too large`, ErrTooLarge},
		{"empty query", broken.URL, Query{}, "feeds: resolve: a podcast needs a feed URL, an Apple Podcasts page or a title", nil},
		{"bad page", broken.URL, Query{ApplePage: "https://example.com/id12"}, `feeds: "https://example.com/id12" is not an Apple Podcasts page URL (expected https://podcasts.apple.com/…/id123456789)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewResolver(nil, tt.base).Resolve(context.Background(), tt.q)
			if err == nil {
				t.Fatal("Resolve succeeded")
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("Resolve error %v matches ErrNotFound; a failure is not an absence", err)
			}
			if err.Error() != tt.want {
				t.Errorf("Resolve error = %q, want %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantErr)
			}
		})
	}
}

func TestResolveCanceled(t *testing.T) {
	srv := newFakeITunes(t, http.StatusOK, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewResolver(srv.Client(), srv.URL).Resolve(ctx, Query{Title: "Post Mortem"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Resolve error = %v, want context.Canceled", err)
	}
}

func TestApplePodcastID(t *testing.T) {
	tests := []struct {
		url     string
		want    int64
		wantErr bool
	}{
		{"https://podcasts.apple.com/fr/podcast/post-mortem/id1526220015", 1526220015, false},
		{"https://podcasts.apple.com/fr/podcast/post-mortem/id1526220015?i=1000650000000", 1526220015, false},
		{"https://podcasts.apple.com/us/podcast/id1526220015", 1526220015, false},
		{"  https://podcasts.apple.com/fr/podcast/post-mortem/id1526220015/  ", 1526220015, false},
		{"https://itunes.apple.com/us/podcast/post-mortem/id1526220015?mt=2", 1526220015, false},
		{"https://itunes.apple.com/WebObjects/MZStore.woa/wa/viewPodcast?id=1526220015", 1526220015, false},
		{"https://podcasts.apple.com/fr/podcast/post-mortem", 0, true},
		{"https://podcasts.example.com/fr/podcast/post-mortem/id1526220015", 0, true},
		{"https://evilapple.com/id1526220015", 0, true},
		{"podcasts.apple.com/fr/podcast/post-mortem/id1526220015", 0, true},
		{"https://podcasts.apple.com/fr/podcast/idea/id0", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := ApplePodcastID(tt.url)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ApplePodcastID(%q) = %d, %v; want %d, error %v", tt.url, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestResolveFold(t *testing.T) {
	tests := []struct{ in, fold, words string }{
		{"François Paupier", "francois paupier", "francois paupier"},
		{"  FRANÇOIS\t\tPaupier ", "francois paupier", "francois paupier"},
		{"Post-Mortem", "post-mortem", "post mortem"},
		{"François Paupier, Jane Doe & Guests", "francois paupier, jane doe & guests", "francois paupier jane doe guests"},
		{"Ce qu’il faut retenir", "ce qu'il faut retenir", "ce qu il faut retenir"},
		{"Ñandú Ünïcödé", "nandu unicode", "nandu unicode"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.fold {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.fold)
		}
		if got := FoldTitle(tt.in); got != tt.words {
			t.Errorf("FoldTitle(%q) = %q, want %q", tt.in, got, tt.words)
		}
	}
}

// TestApplePodcastIDRedacts: the error repeats the page URL given, which may be a
// private feed's URL pasted in the wrong place.
func TestApplePodcastIDRedacts(t *testing.T) {
	_, err := ApplePodcastID("https://alice:s3cret@feeds.example.com/private.rss?token=s3cret")
	want := `feeds: "https://feeds.example.com/private.rss?token=REDACTED" is not an Apple Podcasts page URL (expected https://podcasts.apple.com/…/id123456789)`
	if err == nil || err.Error() != want {
		t.Errorf("ApplePodcastID error = %v, want %q", err, want)
	}
	if got, want := (Query{ApplePage: "https://u:p@podcasts.apple.com/x/id1?token=t"}).String(), "https://podcasts.apple.com/x/id1?token=REDACTED"; got != want {
		t.Errorf("Query.String() = %q, want %q", got, want)
	}
}
