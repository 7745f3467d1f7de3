package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFeedNamesUnique(t *testing.T) {
	tests := []struct {
		name  string
		feeds []Feed
		want  []string
	}{
		{"one host, two shows", []Feed{
			{URL: "https://feeds.megaphone.fm/GBS8392"},
			{URL: "https://feeds.megaphone.fm/ADL9840"},
		}, []string{"feeds.megaphone.fm-gbs8392", "feeds.megaphone.fm-adl9840"}},
		// The hashes are pinned: a name must not change from one version to the next.
		{"same path, different query", []Feed{
			{URL: "https://feeds.example.com/show.php?id=1"},
			{URL: "https://feeds.example.com/show.php?id=2"},
		}, []string{"feeds.example.com-show-131c7a", "feeds.example.com-show-32d25d"}},
		{"same file name in two directories", []Feed{
			{URL: "/srv/a/show.xml"},
			{URL: "/srv/b/show.xml"},
		}, []string{"show-2edc52", "show-e00eb1"}},
		{"same title, two authors", []Feed{
			{Title: "Daily", Author: "A"},
			{Title: "Daily", Author: "B"},
		}, []string{"daily-7601fd", "daily-00bd1d"}},
		{"an explicit name is kept, the derived one moves", []Feed{
			{Name: "example.org", URL: "https://other.example/x"},
			{URL: "https://example.org/feed.xml"},
		}, []string{"example.org", "example.org-d74f9c"}},
		{"explicit duplicates are left for Validate", []Feed{
			{Name: "x", URL: "https://a.example/"},
			{Name: "x", URL: "https://b.example/"},
		}, []string{"x", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Feeds: tt.feeds}
			c.FillDefaults()
			var got []string
			for _, f := range c.Feeds {
				got = append(got, f.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// A derived name depends on the feed alone: neither the order of the feeds nor an
// unrelated feed changes it, so the CLI's --feed URL1 --feed URL2 always names
// each feed the same.
func TestFeedNamesStable(t *testing.T) {
	a := Feed{URL: "https://feeds.megaphone.fm/GBS8392"}
	b := Feed{URL: "https://feeds.megaphone.fm/ADL9840"}
	other := Feed{URL: "https://example.org/feed.xml"}
	nameOf := func(feeds ...Feed) map[string]string {
		c := Config{Feeds: feeds}
		c.FillDefaults()
		out := make(map[string]string)
		for _, f := range c.Feeds {
			out[f.URL] = f.Name
		}
		return out
	}
	alone := nameOf(a)[a.URL]
	for name, got := range map[string]map[string]string{
		"a, b":        nameOf(a, b),
		"b, a":        nameOf(b, a),
		"other, b, a": nameOf(other, b, a),
	} {
		if got[a.URL] != alone {
			t.Errorf("%s: name of %s = %q; alone it is %q", name, a.URL, got[a.URL], alone)
		}
	}
	// FillDefaults again (as after --feed) changes nothing.
	c := Default()
	c.Feeds = []Feed{a, b, {URL: "/x/show.xml"}, {URL: "/y/show.xml"}}
	c.FillDefaults()
	before := append([]Feed(nil), c.Feeds...)
	c.FillDefaults()
	if diff := cmp.Diff(before, c.Feeds); diff != "" {
		t.Errorf("FillDefaults twice (-once +twice):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("feeds with colliding derived names do not validate: %v", err)
	}
}
