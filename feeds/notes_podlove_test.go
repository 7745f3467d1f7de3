package feeds

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A feed with Podlove Simple Chapters (psc:chapters) on its items.
const podloveFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:psc="http://podlove.org/simple-chapters" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Show</title>
<item><title>One</title><guid>one</guid><itunes:duration>10:00</itunes:duration>
<description>&lt;p&gt;00:00 Notes intro&lt;br&gt;02:00 Notes topic&lt;/p&gt;</description>
<psc:chapters version="1.2">
  <psc:chapter start="00:00:00.000" title="Intro"/>
  <psc:chapter start="00:04:30.250" title="The outage &amp;amp; the fix"/>
  <psc:chapter start="1:30" title="Context"/>
  <psc:chapter start="00:08:00" title=""/>
  <psc:chapter start="bad" title="Unreadable"/>
  <psc:chapter start="00:12:00" title="After the end"/>
</psc:chapters>
</item>
<item><title>Two</title><guid>two</guid>
<description>&lt;p&gt;00:00 Notes intro&lt;br&gt;02:00 Notes topic&lt;/p&gt;</description>
</item>
<item><title>Three</title><guid>three</guid>
<description>Plain notes.</description>
<chap:chapters xmlns:chap="http://podlove.org/simple-chapters"><chap:chapter start="5" title="Other prefix"/></chap:chapters>
</item>
</channel></rss>`

func TestPodloveChapters(t *testing.T) {
	f, err := ParseBytes([]byte(podloveFeed), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		guid         string
		wantDeclared []Chapter
		want         []Chapter
	}{
		{
			guid: "one",
			wantDeclared: []Chapter{
				{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 90, Title: "Context"},
				{StartSeconds: 270, Title: "The outage & the fix"}, {StartSeconds: 720, Title: "After the end"},
			},
			// The declared chapters win over the notes' timestamps; none after the
			// 10-minute episode ends.
			want: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 90, Title: "Context"}, {StartSeconds: 270, Title: "The outage & the fix"}},
		},
		{
			guid: "two",
			want: []Chapter{{StartSeconds: 0, Title: "Notes intro"}, {StartSeconds: 120, Title: "Notes topic"}},
		},
		{
			guid:         "three",
			wantDeclared: []Chapter{{StartSeconds: 5, Title: "Other prefix"}},
			want:         []Chapter{{StartSeconds: 5, Title: "Other prefix"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.guid, func(t *testing.T) {
			var ep *Episode
			for i := range f.Episodes {
				if f.Episodes[i].GUID == tt.guid {
					ep = &f.Episodes[i]
				}
			}
			if ep == nil {
				t.Fatalf("no episode %q", tt.guid)
			}
			if diff := cmp.Diff(tt.wantDeclared, ep.PodloveChapters); diff != "" {
				t.Errorf("PodloveChapters (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, ep.Notes.Chapters); diff != "" {
				t.Errorf("Notes.Chapters (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("content hash follows the declared chapters", func(t *testing.T) {
		ep := f.Episodes[0]
		before := ep.ContentHash()
		ep.PodloveChapters = append([]Chapter(nil), ep.PodloveChapters...)
		ep.PodloveChapters[0].Title = "Renamed"
		if ep.ContentHash() == before {
			t.Error("renaming a declared chapter left the content hash unchanged")
		}
	})
}
