package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pmbot/pmbot/feeds"
)

// TestFeedsCannotReachPrivateAddresses: a chapters file, or a new feed URL, that a
// feed points at the bot's own host is never requested; the operator's feed URL
// itself may be anywhere, and allow_networks opens a network on purpose.
func TestFeedsCannotReachPrivateAddresses(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		io.WriteString(w, `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Secret"}]}`)
	}))
	defer internal.Close()
	withChapters := func(from, to int) string {
		body := rss(from, to, "")
		body = strings.Replace(body, `xmlns:itunes=`, `xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:itunes=`, 1)
		return strings.Replace(body, "<guid>ep-2</guid>", `<guid>ep-2</guid><podcast:chapters url="`+internal.URL+`/latest/meta-data" type="application/json+chapters"/>`, 1)
	}
	for _, tt := range []struct {
		name     string
		allow    []netip.Prefix
		wantHits int32
	}{
		{"refused by default", nil, 0},
		{"allowed by the operator", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			internalHits.Store(0)
			h := newHarness(t)
			h.poller.ChapterFetcher = feeds.NewFetcher(feeds.FetcherOptions{PublicOnly: true, AllowNetworks: tt.allow})
			h.srv.set(http.StatusOK, withChapters(1, 2), nil)
			if r := h.poll(t); r.Err != nil {
				t.Fatalf("the operator's feed on loopback must be read: %v", r.Err)
			}
			if got := internalHits.Load(); got != tt.wantHits {
				t.Errorf("internal server requested %d times, want %d", got, tt.wantHits)
			}
		})
	}

	t.Run("new feed URL", func(t *testing.T) {
		internalHits.Store(0)
		h := newHarness(t)
		h.poller.FoundFetcher = feeds.NewFetcher(feeds.FetcherOptions{PublicOnly: true})
		h.srv.set(http.StatusOK, rss(1, 2, `<itunes:new-feed-url>`+internal.URL+`/feed.xml</itunes:new-feed-url>`), nil)
		if r := h.poll(t); r.Err != nil {
			t.Fatalf("first poll: %v", r.Err)
		}
		r := h.poll(t)
		if r.Err == nil || internalHits.Load() != 0 {
			t.Fatalf("poll of a new feed URL on loopback: err %v, %d requests; want it refused without a request", r.Err, internalHits.Load())
		}
		if f := h.feed(t); !strings.Contains(f.LastError, "allow_networks") {
			t.Errorf("last error %q does not say how to allow the network", f.LastError)
		}
	})
}
