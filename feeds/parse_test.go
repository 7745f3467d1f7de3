package feeds

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// epProbe is the part of an Episode the fixture table checks: enough to see that
// each field was read from the right tag, without restating whole show notes.
type epProbe struct {
	GUID            string
	Number          int
	Season          int
	Type            string
	Title           string
	Published       time.Time
	DurationSeconds int
	AudioType       string
	ChaptersURL     string
}

func probe(e Episode) epProbe {
	return epProbe{
		GUID:            e.GUID,
		Number:          e.Number,
		Season:          e.Season,
		Type:            e.Type,
		Title:           e.Title,
		Published:       e.Published,
		DurationSeconds: e.DurationSeconds,
		AudioType:       e.AudioType,
		ChaptersURL:     e.ChaptersURL,
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func parseFile(t testing.TB, path string) *Feed {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return f
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file     string
		title    string
		language string
		count    int
		// episodes maps an index in the feed to what that episode must be.
		episodes map[int]epProbe
	}{
		{
			file: "feeds/1865-art19.xml", title: "1865", language: "en", count: 61,
			episodes: map[int]epProbe{
				0: {GUID: "gid://art19-episode-locator/V0/T-ywFiCQHfUv9JLKUSMpo1_zw7dONvCZdtDMuzfQMOs", Type: TypeTrailer,
					Title: "Introducing 'History Daily' From Host Lindsay Graham", Published: utc("2021-11-03T08:00:00Z"),
					DurationSeconds: 960, AudioType: "audio/mpeg"},
				1: {GUID: "gid://art19-episode-locator/V0/bgUNulvdJPoAfgnLk5CE5fBx2T6QBRLPXRwijm1o_J8", Season: 2, Type: TypeBonus,
					Title: "Inside the Episode: S2E10", Published: utc("2021-07-13T08:00:00Z"), DurationSeconds: 1415, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/baywatch-berlin-podigee.rss", title: "Baywatch Berlin", language: "de", count: 1,
			episodes: map[int]epProbe{
				// itunes:episode says 1 even though it is a trailer: the feed wins.
				0: {GUID: "cc973b648d6fb41e4e5ef7e4b4ee7604", Number: 1, Type: TypeTrailer, Title: "Trailer",
					Published: utc("2019-11-18T19:14:32Z"), DurationSeconds: 114, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/dw-langsam-gesprochene-nachrichten.xml", title: "Langsam gesprochene Nachrichten | Audios | DW Deutsch lernen",
			language: "de", count: 59,
			episodes: map[int]epProbe{
				// A leading date is not an episode number.
				0: {GUID: "61170826", Type: TypeFull, Title: "18.03.2022 – Langsam gesprochene Nachrichten",
					Published: utc("2022-03-18T09:46:00Z"), DurationSeconds: 420, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/giant-bombcast-730-items.rss", title: "Giant Bombcast", language: "en", count: 730,
			episodes: map[int]epProbe{
				// "Tue, 01 Oct 2019 14:30:00 PST".
				0: {GUID: "1600-2823", Type: TypeFull, Title: "Giant Bombcast 603: Call of Tuesday",
					Published: utc("2019-10-01T22:30:00Z"), DurationSeconds: 10475, AudioType: "audio/mpeg"},
				729: {GUID: "1600-20", Type: TypeFull, Title: "Giant Bombcast Arrow Pointing Down Podcast Beta",
					Published: utc("2008-02-18T09:54:00Z"), DurationSeconds: 5283, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/heise-developer.atom", title: "heise developer neueste Meldungen", count: 15,
			episodes: map[int]epProbe{
				0: {GUID: "http://heise.de/-3088438", Type: TypeFull, Title: "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei",
					Published: utc("2016-02-01T16:22:00Z")},
			},
		},
		{
			file: "feeds/jn-noticias-iso-8859-1.rss", title: "Jornal de Notícias - Últimas Notícias", language: "pt", count: 40,
			episodes: map[int]epProbe{
				// No guid and no enclosure: the link stands in.
				0: {GUID: "link:http://feeds.jn.pt/~r/JN-ULTIMAS/~3/UBnb8Ra3Q1U/sonia-laig-e-a-nova-presidente-da-rarissimas-9021600.html",
					Type: TypeFull, Title: "Mãe de utente é a nova presidente da Raríssimas", Published: utc("2018-01-03T13:47:00Z")},
			},
		},
		{
			file: "feeds/launched-fireside.xml", title: "Launched", language: "en", count: 36,
			episodes: map[int]epProbe{
				// "1:04" is one minute four seconds.
				0: {GUID: "18a6d2f1-27fd-487d-ae4b-26203ee89120", Type: TypeFull, Title: "Summer Break",
					Published: utc("2021-05-18T13:00:00Z"), DurationSeconds: 64, AudioType: "audio/mpeg"},
				// "32: Overcast - Marco Arment": the number comes from the title.
				1: {GUID: "0e461a91-941d-4cf2-bdce-f26a3c30b52c", Number: 32, Type: TypeFull, Title: "Overcast - Marco Arment",
					Published: utc("2021-05-04T14:00:00Z"), DurationSeconds: 7326, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/mike-neumann-show.xml", title: "The Mike Neumann Show", language: "en", count: 54,
			episodes: map[int]epProbe{
				// podcast:episode and podcast:season, plain-seconds duration, podcast:chapters.
				1: {GUID: "32b8f150-5771-47d6-9f89-9177761f0f4e", Number: 53, Season: 2, Type: TypeFull, Title: "Community",
					Published: utc("2024-08-29T23:37:49Z"), DurationSeconds: 4209, AudioType: "audio/mpeg",
					ChaptersURL: "https://mikeneumann.show/assets/static/themnshow053-20240824-DRAFT-chapters.json"},
			},
		},
		{
			file: "feeds/no-agenda-malformed.xml", title: "No Agenda", language: "en", count: 29,
			episodes: map[int]epProbe{
				0: {GUID: "http://1393.noagendanotes.com", Number: 1393, Type: TypeFull, Title: `"Space Wake"`,
					Published: utc("2021-10-24T20:22:24Z"), AudioType: "audio/mpeg",
					ChaptersURL: "http://34.117.70.159/http%3Afeed.nashownotes.comrss.xml/http:1393.noagendanotes.com"},
			},
		},
		{
			file: "feeds/podcasting20-pc20rss.xml", title: "Podcasting 2.0", language: "en", count: 56,
			episodes: map[int]epProbe{
				0: {GUID: "PC2057", Number: 57, Type: TypeFull, Title: "Rebel Rubes", Published: utc("2021-10-08T18:55:32Z"),
					AudioType: "audio/mpeg", ChaptersURL: "http://34.117.70.159/http%3Amp3s.nashownotes.compc20rss.xml/PC2057"},
			},
		},
		{
			file: "feeds/podverse-test-feed.xml", title: "Podverse - Test Feed", language: "en", count: 5,
			episodes: map[int]epProbe{
				// Only a video enclosure: it is taken for want of audio.
				0: {GUID: "https://noagendatube.com/videos/watch/0f6507ea-8d5f-4264-b2ac-9b839f720d9b", Type: TypeFull,
					Title: "Podcasting 2.0 Dev Meeting for May 28 2022", Published: utc("2022-05-29T05:30:25Z"), AudioType: "video/mp4"},
				// "1014.708375".
				1: {GUID: "be3007a0-3433-497d-b3b0-a7814a5b7ee6", Type: TypeFull, Title: "Test Episode 4",
					Published: utc("2022-05-28T02:56:32Z"), DurationSeconds: 1015, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/sentimental-garbage-acast.xml", title: "Sentimental Garbage", language: "en", count: 138,
			episodes: map[int]epProbe{
				0: {GUID: "64ce024b17496000117178ca", Number: 29, Season: 10, Type: TypeFull, Title: "Barbie with Jen Cownie",
					Published: utc("2023-08-05T08:03:24Z"), DurationSeconds: 3920, AudioType: "audio/mpeg"},
				137: {GUID: "9f1addfc-f644-42d1-a917-4fd368403cb5", Season: 1, Type: TypeTrailer, Title: "Sentimental Garbage: The Trailer",
					Published: utc("2018-11-27T00:51:22Z"), DurationSeconds: 89, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "feeds/taverncast-leading-newline.rss", title: "Taverncast - Happy Hour in Your Head - Since 2005", language: "en", count: 131,
			episodes: map[int]epProbe{
				// "07 Nov 2015 12:00:00 EST": no weekday.
				0: {GUID: "http://taverncast.com/shows/taverncast-62.mp3", Type: TypeFull, Title: "Taverncast 62 - Temporal Anomaly",
					Published: utc("2015-11-07T17:00:00Z"), DurationSeconds: 4190, AudioType: "audio/mpeg"},
				// x-audio/mp3 counts as audio.
				130: {GUID: "http://www.taverncast.com/shows/taverncast-2005-07-18.mp3", Type: TypeFull, Title: "Taverncast 1: Welcome to the Bar",
					Published: utc("2005-07-18T18:00:00Z"), DurationSeconds: 2377, AudioType: "x-audio/mp3"},
			},
		},
		{
			file: "postmortem/feed.xml", title: "Post Mortem", language: "fr", count: 18,
			episodes: map[int]epProbe{
				0: {GUID: "postmortem-fixture-ep17", Number: 17, Type: TypeFull, Title: "Incident BGP chez Facebook & OVH",
					Published: utc("2022-04-28T06:00:00Z"), DurationSeconds: 3780, AudioType: "audio/mpeg"},
			},
		},
		{
			file: "postmortem/feed-plain.xml", title: "Post Mortem", language: "fr", count: 18,
			episodes: map[int]epProbe{
				17: {GUID: "postmortem-fixture-trailer", Type: TypeTrailer, Title: "Qu'est ce que Post Mortem? 🇫🇷",
					Published: utc("2020-09-29T06:00:00Z"), DurationSeconds: 95, AudioType: "audio/mpeg"},
			},
		},
	}

	// Every fixture feed must be in the table, so a new one is not silently skipped.
	files, err := filepath.Glob("../testdata/feeds/*")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tt := range tests {
		listed[tt.file] = true
	}
	for _, f := range files {
		if rel := "feeds/" + filepath.Base(f); !strings.HasSuffix(f, ".md") && !listed[rel] {
			t.Errorf("fixture %s has no row in the table", rel)
		}
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := parseFile(t, filepath.Join("../testdata", tt.file))
			if f.Title != tt.title {
				t.Errorf("Title = %q, want %q", f.Title, tt.title)
			}
			if f.Language != tt.language {
				t.Errorf("Language = %q, want %q", f.Language, tt.language)
			}
			if len(f.Episodes) != tt.count {
				t.Fatalf("%d episodes, want %d", len(f.Episodes), tt.count)
			}
			for i, want := range tt.episodes {
				if diff := cmp.Diff(want, probe(f.Episodes[i])); diff != "" {
					t.Errorf("episode %d (-want +got):\n%s", i, diff)
				}
			}
			for i, e := range f.Episodes {
				if e.GUID == "" {
					t.Errorf("episode %d (%q) has no GUID", i, e.RawTitle)
				}
				if e.Published.IsZero() || e.Published.Location() != time.UTC {
					t.Errorf("episode %d (%q): Published = %v, want a UTC date", i, e.RawTitle, e.Published)
				}
				if e.Language != f.Language {
					t.Errorf("episode %d: Language = %q, want the channel's %q", i, e.Language, f.Language)
				}
			}
		})
	}
}

func TestParseChannel(t *testing.T) {
	tests := []struct {
		file string
		want Feed
	}{
		{"postmortem/feed.xml", Feed{
			Title: "Post Mortem", Author: "François Paupier", Language: "fr",
			Link: "https://postmortem.example.org/", Image: "https://postmortem.example.org/cover.jpg",
		}},
		{"feeds/sentimental-garbage-acast.xml", Feed{
			Title: "Sentimental Garbage", Author: "Justice for Dumb Women", Language: "en",
			Link:       "https://twitter.com/SentimentalPod", // what the feed says
			Image:      "https://assets.pippa.io/shows/611f7f984804726c57143e7e/show-cover.jpg",
			NewFeedURL: "https://feeds.acast.com/public/shows/edd6bde5-221e-4c07-bde8-2a0241ccc6e0",
		}},
		// Atom: the author comes from <author><name>, the image from <logo>.
		{"feeds/heise-developer.atom", Feed{
			Title: "heise developer neueste Meldungen", Author: "heise online",
			Link:  "http://www.heise.de/developer/",
			Image: "http://www.heise.de/developer/icons/heise_developer_logo_weiss.gif",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := parseFile(t, filepath.Join("../testdata", tt.file))
			if f.Description == "" {
				t.Error("Description is empty")
			}
			opts := cmpopts.IgnoreFields(Feed{}, "Description", "Episodes")
			if diff := cmp.Diff(tt.want, *f, opts); diff != "" {
				t.Errorf("channel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePostMortem(t *testing.T) {
	f := parseFile(t, "../testdata/postmortem/feed.xml")
	if len(f.Episodes) != 18 {
		t.Fatalf("%d episodes, want 18", len(f.Episodes))
	}

	// Notes are the notes parser's business; here only their source is checked.
	ignoreNotes := cmpopts.IgnoreFields(Episode{}, "NotesHTML", "NotesText", "Notes")
	want17 := Episode{
		GUID:            "postmortem-fixture-ep17",
		Number:          17,
		Type:            TypeFull,
		Title:           "Incident BGP chez Facebook & OVH",
		RawTitle:        "#17 Incident BGP chez Facebook & OVH",
		Published:       utc("2022-04-28T06:00:00Z"),
		DurationSeconds: 3780,
		AudioURL:        "https://media.postmortem.example.org/ep17.mp3",
		AudioType:       "audio/mpeg",
		AudioSize:       60480000,
		Link:            "https://postmortem.example.org/episodes/ep17",
		Image:           "https://postmortem.example.org/cover.jpg", // the channel's: the item has none
		Language:        "fr",
	}
	if diff := cmp.Diff(want17, f.Episodes[0], ignoreNotes); diff != "" {
		t.Errorf("#17 (-want +got):\n%s", diff)
	}
	// content:encoded is preferred to description.
	if got := f.Episodes[0].NotesHTML; !strings.Contains(got, "Border Gateway Protocol") || !strings.HasPrefix(got, "<p>") {
		t.Errorf("#17 NotesHTML = %.80q…, want the HTML notes", got)
	}

	trailer := f.Episodes[17]
	if trailer.Number != 0 || trailer.Type != TypeTrailer {
		t.Errorf("trailer: Number %d, Type %q; want 0, %q", trailer.Number, trailer.Type, TypeTrailer)
	}

	// Each of #1 to #17 is there once, in the feed's order (newest first).
	for i, e := range f.Episodes[:17] {
		if want := 17 - i; e.Number != want {
			t.Errorf("episode %d: Number %d, want %d", i, e.Number, want)
		}
		if strings.HasPrefix(e.Title, "#") {
			t.Errorf("episode %d: Title %q keeps its number", i, e.Title)
		}
	}
}

func TestParsePlainNotes(t *testing.T) {
	f := parseFile(t, "../testdata/postmortem/feed-plain.xml")
	if got := f.Episodes[0].NotesHTML; !strings.Contains(got, "Border Gateway Protocol") || strings.Contains(got, "<p>") {
		t.Errorf("#17 NotesHTML = %.80q…, want the plain-text description", got)
	}
}

// Small documents, one per feature; also the fuzz seeds.
const (
	rssSmall = `<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Show</title><language>EN-us</language>
<itunes:new-feed-url>https://new.example.org/feed.xml</itunes:new-feed-url>
<item><title>Episode 4: Four</title><guid> g4 </guid><pubDate>Tue, 01 Oct 2019 14:30:00 PST</pubDate>
 <itunes:duration>1:02:03</itunes:duration><itunes:episodeType>Bonus</itunes:episodeType><podcast:season>2</podcast:season>
 <enclosure url="https://e.example.org/4.jpg" type="image/jpeg" length="10"/>
 <enclosure url="https://e.example.org/4.mp3" type="audio/mpeg" length="1234"/>
 <podcast:chapters url="https://e.example.org/4.json" type="application/json+chapters"/></item>
<item><title>No guid</title><enclosure url="https://e.example.org/3.mp3" type="audio/mpeg" length="x"/></item>
<item><title>Only a link</title><link>https://e.example.org/2</link></item>
<item><title>Only a title</title></item>
<item><description>Only notes</description></item>
<item></item>
</channel></rss>`
	atomSmall = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom show</title><author><name>Ann</name></author>
<entry><title>#2 Second</title><id>urn:2</id><updated>2020-01-02T03:04:05+01:00</updated>
<link rel="enclosure" href="https://e.example.org/2.mp3" type="audio/mpeg" length="99"/></entry>
</feed>`
	jsonSmall = `{"version":"https://jsonfeed.org/version/1.1","title":"JSON show","authors":[{"name":"Bob"}],
"items":[{"id":"j1","title":"Ep. 7 - Seven","content_html":"<p>hi</p>","date_published":"2021-02-03T04:05:06Z",
"attachments":[{"url":"https://e.example.org/7.m4a","mime_type":"audio/x-m4a","size_in_bytes":77}]}]}`
)

func TestParseSmall(t *testing.T) {
	ignore := cmpopts.IgnoreFields(Episode{}, "NotesText", "Notes")
	tests := []struct {
		name string
		doc  string
		want *Feed
	}{
		{"rss", rssSmall, &Feed{
			Title: "Show", Language: "en", NewFeedURL: "https://new.example.org/feed.xml",
			Episodes: []Episode{
				{GUID: "g4", Number: 4, Season: 2, Type: TypeBonus, Title: "Four", RawTitle: "Episode 4: Four",
					Published: utc("2019-10-01T22:30:00Z"), DurationSeconds: 3723,
					AudioURL: "https://e.example.org/4.mp3", AudioType: "audio/mpeg", AudioSize: 1234,
					Language: "en", ChaptersURL: "https://e.example.org/4.json",
					Image: "https://e.example.org/4.jpg"}, // gofeed takes an image enclosure as the item image
				{GUID: "enclosure:https://e.example.org/3.mp3", Type: TypeFull, Title: "No guid", RawTitle: "No guid",
					AudioURL: "https://e.example.org/3.mp3", AudioType: "audio/mpeg", Language: "en"},
				{GUID: "link:https://e.example.org/2", Type: TypeFull, Title: "Only a link", RawTitle: "Only a link",
					Link: "https://e.example.org/2", Language: "en"},
				{GUID: "title:Only a title|", Type: TypeFull, Title: "Only a title", RawTitle: "Only a title", Language: "en"},
				{GUID: "notes:93b4768b5a7d62d01e30a19e", Type: TypeFull, NotesHTML: "Only notes", Language: "en"},
				// The empty <item> is dropped: nothing could identify it next time.
			},
		}},
		{"atom", atomSmall, &Feed{
			Title: "Atom show", Author: "Ann",
			Episodes: []Episode{{
				GUID: "urn:2", Number: 2, Type: TypeFull, Title: "Second", RawTitle: "#2 Second",
				Published: utc("2020-01-02T02:04:05Z"),
				AudioURL:  "https://e.example.org/2.mp3", AudioType: "audio/mpeg", AudioSize: 99,
			}},
		}},
		{"json", jsonSmall, &Feed{
			Title: "JSON show", Author: "Bob",
			Episodes: []Episode{{
				GUID: "j1", Number: 7, Type: TypeFull, Title: "Seven", RawTitle: "Ep. 7 - Seven",
				Published: utc("2021-02-03T04:05:06Z"),
				AudioURL:  "https://e.example.org/7.m4a", AudioType: "audio/x-m4a", AudioSize: 77,
				NotesHTML: "<p>hi</p>",
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, ignore); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBroken(t *testing.T) {
	feed, err := os.ReadFile("../testdata/postmortem/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	const notFeed = "feeds: parse: not a podcast feed (RSS, Atom or JSON Feed): "
	tests := []struct {
		name string
		doc  []byte
	}{
		{"empty", nil},
		{"spaces", []byte("\n\n   \n")},
		{"html", []byte("<html><body>hi</body></html>")},
		{"html page", []byte("<!DOCTYPE html>\n<html><head><title>Post Mortem</title></head><body><p>Listen</p></body></html>")},
		{"truncated xml", feed[:len(feed)/2]},
		{"truncated json", []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":`)},
		{"binary", []byte("\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
		{"text", []byte("404 page not found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(bytes.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("Parse = %d episodes, nil error; want an error", len(f.Episodes))
			}
			if !strings.HasPrefix(err.Error(), notFeed) || len(err.Error()) == len(notFeed) {
				t.Errorf("error %q, want %q followed by gofeed's reason", err, notFeed)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("error %q wraps nothing", err)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap %v", err, boom)
	}
	if !strings.HasPrefix(err.Error(), "feeds: parse: reading the feed: ") {
		t.Errorf("error %q: a read failure must not be reported as a bad feed", err)
	}
}

func TestSplitTitleNumber(t *testing.T) {
	tests := []struct {
		in       string
		wantN    int
		wantRest string
	}{
		{"#17 Incident BGP chez Facebook & OVH", 17, "Incident BGP chez Facebook & OVH"},
		{"#1 A migration's tale", 1, "A migration's tale"},
		{"#17: Incident", 17, "Incident"},
		{"# 17 Incident", 0, "# 17 Incident"},
		{"12. Title", 12, "Title"},
		{"1393: \"Space Wake\"", 1393, "\"Space Wake\""},
		{"32: Overcast - Marco Arment", 32, "Overcast - Marco Arment"},
		{"Ep. 5 - Five", 5, "Five"},
		{"EP05 Five", 5, "Five"},
		{"ep 5: Five", 5, "Five"},
		{"Episode 57: Rebel Rubes", 57, "Rebel Rubes"},
		{"Episode #3 – Three", 3, "Three"},
		{"Épisode 3 : La Data Science", 3, "La Data Science"},
		{"épisode 3 — x", 3, "x"},
		{"ÉPISODE 4 | y", 4, "y"},
		// Not markers.
		{"Top 10 tips", 0, "Top 10 tips"},
		{"2021 review", 0, "2021 review"},
		{"2021: the review", 2021, "the review"},
		{"18.03.2022 – Langsam gesprochene Nachrichten", 0, "18.03.2022 – Langsam gesprochene Nachrichten"},
		{"12:30 news", 0, "12:30 news"},
		{"Epilogue 2", 0, "Epilogue 2"},
		{"Episode IV: A New Hope", 0, "Episode IV: A New Hope"},
		{"Ep 1.5 half", 0, "Ep 1.5 half"},
		{"#17abc", 0, "#17abc"},
		{"#0 Zero", 0, "#0 Zero"},
		{"#1234567 id", 0, "#1234567 id"},
		{"Giant Bombcast 603: Call of Tuesday", 0, "Giant Bombcast 603: Call of Tuesday"},
		{"Trailer", 0, "Trailer"},
		{"", 0, ""},
		// The marker alone: keep the title rather than show nothing.
		{"#17", 17, "#17"},
		{"Episode 5", 5, "Episode 5"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, rest := splitTitleNumber(tt.in)
			if n != tt.wantN || rest != tt.wantRest {
				t.Errorf("splitTitleNumber(%q) = %d, %q; want %d, %q", tt.in, n, rest, tt.wantN, tt.wantRest)
			}
		})
	}
}

func TestParseTitleCleanup(t *testing.T) {
	doc := `<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>S</title>
<item><guid>a</guid><title>#3   R&amp;amp;D
  at   scale</title></item>
<item><guid>b</guid><title>#4 Raw</title><itunes:title>Clean title</itunes:title><itunes:episode>0</itunes:episode></item>
<item><guid>c</guid><title>Raw</title><itunes:title>#5 Marked</itunes:title></item>
</channel></rss>`
	f, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	type nt struct {
		Number int
		Title  string
	}
	var got []nt
	for _, e := range f.Episodes {
		got = append(got, nt{e.Number, e.Title})
	}
	want := []nt{
		{3, "R&D at scale"}, // entities decoded twice over, whitespace collapsed
		{4, "Clean title"},  // itunes:title preferred; itunes:episode 0 ignored
		{0, "Marked"},       // the number is read from <title> only
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("titles (-want +got):\n%s", diff)
	}
}

func TestParseFeedDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"Tue, 01 Oct 2019 14:30:00 PST", utc("2019-10-01T22:30:00Z"), true},
		{"Tue, 01 Oct 2019 14:30:00 PDT", utc("2019-10-01T21:30:00Z"), true},
		{"07 Nov 2015 12:00:00 EST", utc("2015-11-07T17:00:00Z"), true},
		{"7 Nov 2015 12:00:00 edt", utc("2015-11-07T16:00:00Z"), true},
		{"Sat, 7 Nov 2015 12:00 CST", utc("2015-11-07T18:00:00Z"), true},
		{"Sat, 7 Nov 2015 12:00:00 CDT", utc("2015-11-07T17:00:00Z"), true},
		{"Sat, 7 Nov 2015 12:00:00 MST", utc("2015-11-07T19:00:00Z"), true},
		{"Sat, 7 Nov 2015 12:00:00 MDT", utc("2015-11-07T18:00:00Z"), true},
		{"Wed, 03 Jan 2018 13:47:00 GMT\r\n    ", utc("2018-01-03T13:47:00Z"), true},
		{"Wed, 03 Jan 2018 13:47:00 UT", utc("2018-01-03T13:47:00Z"), true},
		{"Wed, 03 Jan 2018 13:47:00 UTC", utc("2018-01-03T13:47:00Z"), true},
		{"Wed, 03 Jan 2018 13:47:00 Z", utc("2018-01-03T13:47:00Z"), true},
		{"Wed, 03 Jan 2018 13:47:00 +0100", utc("2018-01-03T12:47:00Z"), true},
		{"Wednesday, 03 Jan 2018 13:47:00 -0000", utc("2018-01-03T13:47:00Z"), true},
		{"2018-01-03T13:47:00+01:00", utc("2018-01-03T12:47:00Z"), true},
		{"2018-01-03 13:47:00", utc("2018-01-03T13:47:00Z"), true},
		{"2018-01-03", utc("2018-01-03T00:00:00Z"), true},
		{"", time.Time{}, false},
		{"PST", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseFeedDate(tt.in)
			if !got.Equal(tt.want) || ok != tt.ok || (ok && got.Location() != time.UTC) {
				t.Errorf("parseFeedDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPrimaryLanguage(t *testing.T) {
	for in, want := range map[string]string{"fr": "fr", "en-us": "en", "EN-US": "en", "fr_FR": "fr", " pt-pt ": "pt", "": ""} {
		if got := primaryLanguage(in); got != want {
			t.Errorf("primaryLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rssSmall))
	f.Add([]byte(atomSmall))
	f.Add([]byte(jsonSmall))
	if b, err := os.ReadFile("../testdata/postmortem/feed.xml"); err == nil {
		// The channel and the first item, closed by hand.
		if i := bytes.Index(b, []byte("</item>")); i > 0 {
			f.Add(append(b[:i+len("</item>"):i+len("</item>")], "</channel></rss>"...))
		}
	}
	// Hostile documents: entity expansion, an unknown encoding, deep nesting, hostile
	// URLs and numbers, UTF-16, NULs, JSON of the wrong types, a web page.
	for _, s := range []string{
		`<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel><title>&b;&b;</title></channel></rss>`,
		`<?xml version="1.0" encoding="klingon"?><rss version="2.0"><channel><title>x</title></channel></rss>`,
		`<rss version="2.0"><channel>` + strings.Repeat("<item><title>", 200),
		`<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><item>` +
			`<guid></guid><enclosure url="http://u:p@127.0.0.1/?token=x" length="-1" type="audio/mpeg"/>` +
			`<itunes:duration>99999999999999999999</itunes:duration><itunes:episode>-3</itunes:episode>` +
			`<podcast:chapters url="file:///etc/passwd"/><link>javascript:alert(1)</link></item></channel></rss>`,
		"\xff\xfe<\x00r\x00s\x00s\x00>\x00",
		"<rss version=\"2.0\"><channel><title>\x00</title></channel>\x00</rss>",
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":1},null,{"attachments":[{"url":5,"size_in_bytes":-1}]}]}`,
		`<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head></html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		feed, err := Parse(bytes.NewReader(doc))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "feeds: parse: ") {
				t.Errorf("error %q lacks the feeds: parse: prefix", err)
			}
			return
		}
		for i, e := range feed.Episodes {
			if e.GUID == "" {
				t.Errorf("episode %d has no GUID", i)
			}
			if e.Type != TypeFull && e.Type != TypeTrailer && e.Type != TypeBonus {
				t.Errorf("episode %d: Type %q", i, e.Type)
			}
			if e.DurationSeconds < 0 || e.Number < 0 || e.AudioSize < 0 {
				t.Errorf("episode %d: negative number, duration or size: %+v", i, e)
			}
		}
	})
}

func BenchmarkParse730(b *testing.B) {
	doc, err := os.ReadFile("../testdata/feeds/giant-bombcast-730-items.rss")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		f, err := Parse(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Episodes) != 730 {
			b.Fatalf("%d episodes", len(f.Episodes))
		}
	}
}

func TestNumericPubDateZones(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"pst", "<pubDate>Tue, 01 Oct 2019 14:30:00 PST</pubDate>", "<pubDate>Tue, 01 Oct 2019 14:30:00 -0800</pubDate>"},
		{"no weekday, spaces", "<pubDate> 07 Nov 2015 12:00:00 EST\r\n </pubDate>", "<pubDate>07 Nov 2015 12:00:00 -0500</pubDate>"},
		{"several", "<a/><pubDate>Mon, 2 Jan 2006 15:04:05 GMT</pubDate><b/><pubDate>Mon, 2 Jan 2006 15:04:05 +0100</pubDate><pubDate>Mon, 2 Jan 2006 15:04 CEST</pubDate>",
			"<a/><pubDate>Mon, 2 Jan 2006 15:04:05 +0000</pubDate><b/><pubDate>Mon, 2 Jan 2006 15:04:05 +0100</pubDate><pubDate>Mon, 2 Jan 2006 15:04 +0200</pubDate>"},
		// Left to gofeed: numeric already, unknown zone, CDATA, a shape gofeed reads late.
		{"numeric", "<pubDate>Mon, 2 Jan 2006 15:04:05 -0700</pubDate>", "<pubDate>Mon, 2 Jan 2006 15:04:05 -0700</pubDate>"},
		{"unknown zone", "<pubDate>Mon, 2 Jan 2006 15:04:05 XYZ</pubDate>", "<pubDate>Mon, 2 Jan 2006 15:04:05 XYZ</pubDate>"},
		{"cdata", "<pubDate><![CDATA[Mon, 2 Jan 2006 15:04:05 PST]]></pubDate>", "<pubDate><![CDATA[Mon, 2 Jan 2006 15:04:05 PST]]></pubDate>"},
		{"other shape", "<pubDate>Monday, January 2, 2006 15:04:05 PST</pubDate>", "<pubDate>Monday, January 2, 2006 15:04:05 PST</pubDate>"},
		{"unclosed", "<pubDate>Mon, 2 Jan 2006 15:04:05 PST", "<pubDate>Mon, 2 Jan 2006 15:04:05 PST"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got := numericPubDateZones(in)
			if string(got) != tt.want {
				t.Errorf("numericPubDateZones(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.in == tt.want && len(in) > 0 && &got[0] != &in[0] {
				t.Error("nothing to rewrite, yet the document was copied")
			}
		})
	}
}
