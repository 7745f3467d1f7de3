package feeds

import (
	"strings"
	"testing"
)

func TestDropIllegalXMLChars(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<t>plain &amp; &#233; &#x27;</t>", "<t>plain &amp; &#233; &#x27;</t>"},
		{"<t>a\x1b[2Jb</t>", "<t>a[2Jb</t>"},
		{"<t>a&#27;[31mb&#x1B;c&#0;</t>", "<t>a[31mbc</t>"},
		{"<t>tab&#9;nl&#10;</t>", "<t>tab&#9;nl&#10;</t>"},
		{"<t>&#xFFFE; &#1114112;</t>", "<t> </t>"},
		{"<t>&#; &#x; &#abc; &#</t>", "<t>&#; &#x; &#abc; &#</t>"},
	}
	for _, tt := range tests {
		if got := string(dropIllegalXMLChars([]byte(tt.in))); got != tt.want {
			t.Errorf("dropIllegalXMLChars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseHostileFeed: an escape code in a title does not make the feed unreadable,
// and links that are not web addresses are dropped.
func TestParseHostileFeed(t *testing.T) {
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title><link>javascript:alert(1)</link>
<item><title>#1 @everyone &#27;[2J bad</title><guid>e1</guid><link>data:text/html,hi</link>
<enclosure url="javascript:alert(1)" type="audio/mpeg" length="1"/></item></channel></rss>`
	f, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("Parse = %v, want the feed read despite the escape code", err)
	}
	ep := f.Episodes[0]
	if ep.Title != "@everyone [2J bad" || ep.AudioURL != "" || ep.Link != "" || f.Link != "" {
		t.Errorf("episode = title %q audio %q link %q, feed link %q; want the control character and the non-web links gone", ep.Title, ep.AudioURL, ep.Link, f.Link)
	}
}
