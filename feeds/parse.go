package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/pmbot/pmbot/shownotes"
)

// Parse reads a feed document (RSS 2.0, Atom or JSON Feed, through gofeed) into a
// Feed, keeping the feed's order of episodes.
//
// gofeed is lenient on purpose and Parse keeps it so: real feeds have broken
// entities, leading newlines before the XML declaration and legacy encodings. A
// document that is not a feed at all (an HTML page, an empty body, garbage) gives
// an error saying so; the caller adds the feed's name.
func Parse(r io.Reader) (*Feed, error) {
	// The whole document is read first: it lets a read failure (a dropped
	// connection) be told apart from a malformed feed, and numericPubDateZones
	// needs it. Feeds are size-capped by the fetcher, so this is bounded.
	doc, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("feeds: parse: reading the feed: %w", err)
	}
	return ParseBytes(doc, ParseOptions{})
}

// ParseOptions tune ParseBytes.
type ParseOptions struct {
	// SkipNotes leaves NotesText and Notes empty: a poller that already knows most
	// episodes calls ReadNotes only on those whose content changed.
	SkipNotes bool
}

// ParseBytes is Parse on a document already in memory, as the fetcher returns it:
// it saves a copy of the whole document.
func ParseBytes(doc []byte, opts ParseOptions) (*Feed, error) {
	gf, err := parseGofeed(numericPubDateZones(dropIllegalXMLChars(doc)))
	if err != nil {
		if hint := notFeedHint(doc); hint != "" {
			return nil, fmt.Errorf("feeds: parse: not a podcast feed (RSS, Atom or JSON Feed): %w (%s)", err, hint)
		}
		return nil, fmt.Errorf("feeds: parse: not a podcast feed (RSS, Atom or JSON Feed): %w", err)
	}

	f := &Feed{
		Title:       cleanTitle(gf.Title),
		Author:      channelAuthor(gf),
		Description: strings.TrimSpace(gf.Description),
		Language:    primaryLanguage(gf.Language),
		Link:        webURL(strings.TrimSpace(gf.Link)),
		Image:       webURL(channelImage(gf)),
	}
	if gf.ITunesExt != nil {
		f.NewFeedURL = strings.TrimSpace(gf.ITunesExt.NewFeedURL)
	}
	if f.NewFeedURL == "" {
		// Where gofeed did not map the tag (it does for RSS), it is still in the
		// raw extensions.
		f.NewFeedURL = extValue(gf.Extensions, "itunes", "new-feed-url")
	}
	if f.Description == "" && gf.ITunesExt != nil {
		f.Description = strings.TrimSpace(gf.ITunesExt.Summary)
	}

	f.Episodes = make([]Episode, 0, len(gf.Items))
	for _, it := range gf.Items {
		if it == nil {
			continue
		}
		ep, ok := toEpisode(it, f)
		if !ok {
			continue
		}
		if !opts.SkipNotes {
			ep.ReadNotes()
		}
		f.Episodes = append(f.Episodes, ep)
	}
	return f, nil
}

// parseGofeed runs gofeed on doc. A panic inside gofeed on hostile input becomes
// an error: a feed's content must never bring the bot down (DESIGN promise 5).
// Only the third-party call is guarded, so our own bugs still surface.
func parseGofeed(doc []byte) (gf *gofeed.Feed, err error) {
	defer func() {
		if p := recover(); p != nil {
			gf, err = nil, fmt.Errorf("gofeed failed on this document: %v", p)
		}
	}()
	// One parser per call: gofeed.Parser holds per-parse state, is not documented
	// as safe for concurrent use, and feeds are polled concurrently.
	gf, err = gofeed.NewParser().Parse(bytes.NewReader(doc))
	if err == nil && gf == nil {
		err = errors.New("empty result")
	}
	return gf, err
}

// notFeedHint says what a document that is not a feed looks like, in words an
// admin can act on: the usual mistake is configuring the podcast's web page.
func notFeedHint(doc []byte) string {
	head := doc[:min(len(doc), 512)]
	h := bytes.ToLower(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))))
	switch {
	case len(h) == 0:
		return "the document is empty"
	case bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.Contains(h, []byte("<html")):
		return "this is a web page: configure the podcast's RSS feed URL, not its site"
	}
	return ""
}

// toEpisode normalises one item. ok is false for an item with nothing to identify
// it by (no GUID, enclosure, link, title, date or notes): it could neither be
// shown nor recognised on the next poll.
func toEpisode(it *gofeed.Item, f *Feed) (Episode, bool) {
	ep := Episode{
		RawTitle: it.Title,
		Link:     strings.TrimSpace(it.Link),
		Language: f.Language,
		Type:     TypeFull,
	}
	var itx *ext.ITunesItemExtension
	if it.ITunesExt != nil {
		itx = it.ITunesExt
	} else {
		itx = &ext.ITunesItemExtension{}
	}

	// Number: the publisher's explicit tags first, the title's "#N" last.
	ep.Number = positiveInt(itx.Episode)
	if ep.Number == 0 {
		ep.Number = positiveInt(extValue(it.Extensions, "podcast", "episode"))
	}
	titleNumber, rest := splitTitleNumber(cleanTitle(it.Title))
	if ep.Number == 0 {
		ep.Number = titleNumber
	}
	ep.Season = positiveInt(itx.Season)
	if ep.Season == 0 {
		ep.Season = positiveInt(extValue(it.Extensions, "podcast", "season"))
	}
	switch t := strings.ToLower(strings.TrimSpace(itx.EpisodeType)); t {
	case TypeTrailer, TypeBonus:
		ep.Type = t
	}

	// Title: itunes:title is usually the clean one; it may still carry a marker.
	ep.Title = rest
	if t := cleanTitle(extValue(it.Extensions, "itunes", "title")); t != "" {
		_, ep.Title = splitTitleNumber(t)
	}

	if it.PublishedParsed != nil {
		ep.Published = it.PublishedParsed.UTC()
	} else if it.UpdatedParsed != nil {
		ep.Published = it.UpdatedParsed.UTC()
	} else if t, ok := parseFeedDate(it.Published); ok {
		ep.Published = t
	} else if t, ok := parseFeedDate(it.Updated); ok {
		ep.Published = t
	}

	if d, ok := ParseDuration(itx.Duration); ok {
		ep.DurationSeconds = d
	}

	if enc := pickEnclosure(it.Enclosures); enc != nil {
		ep.AudioURL = strings.TrimSpace(enc.URL)
		ep.AudioType = strings.ToLower(strings.TrimSpace(enc.Type))
		if n, err := strconv.ParseInt(strings.TrimSpace(enc.Length), 10, 64); err == nil && n > 0 {
			ep.AudioSize = n
		}
	}

	switch {
	case strings.TrimSpace(itx.Image) != "":
		ep.Image = strings.TrimSpace(itx.Image)
	case it.Image != nil && strings.TrimSpace(it.Image.URL) != "":
		ep.Image = strings.TrimSpace(it.Image.URL)
	default:
		ep.Image = f.Image
	}

	switch {
	case strings.TrimSpace(it.Content) != "":
		ep.NotesHTML = strings.TrimSpace(it.Content)
	case strings.TrimSpace(it.Description) != "":
		ep.NotesHTML = strings.TrimSpace(it.Description)
	default:
		ep.NotesHTML = strings.TrimSpace(itx.Summary)
	}

	ep.ChaptersURL = extAttr(it.Extensions, "podcast", "chapters", "url")
	ep.PodloveChapters = podloveChapters(it.Extensions)

	// Feed content is data: a link that is not a web address (javascript:, data:,
	// a relative path) is not passed on to be clicked.
	ep.AudioURL, ep.Link, ep.Image = webURL(ep.AudioURL), webURL(ep.Link), webURL(ep.Image)
	ep.ChaptersURL = webURL(ep.ChaptersURL)
	ep.GUID = itemGUID(it, ep)
	return ep, ep.GUID != ""
}

// webURL returns u when it is an absolute http(s) URL, else "".
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// itemGUID is the item's guid, else a stand-in built from what else identifies it.
// Each kind has its own prefix so that, say, a link can never equal an enclosure
// URL used as a GUID by another item.
func itemGUID(it *gofeed.Item, ep Episode) string {
	if g := strings.TrimSpace(it.GUID); g != "" {
		return g
	}
	if ep.AudioURL != "" {
		return "enclosure:" + ep.AudioURL
	}
	if ep.Link != "" {
		return "link:" + ep.Link
	}
	title := cleanTitle(it.Title)
	if title != "" || !ep.Published.IsZero() {
		date := ""
		if !ep.Published.IsZero() {
			date = ep.Published.Format("2006-01-02T15:04:05Z")
		}
		return "title:" + title + "|" + date
	}
	if ep.NotesHTML != "" {
		sum := sha256.Sum256([]byte(ep.NotesHTML))
		return "notes:" + hex.EncodeToString(sum[:12])
	}
	return ""
}

// pickEnclosure returns the first audio enclosure, else the first one with a URL:
// feeds list artwork or video next to the audio, and the bot plays audio.
func pickEnclosure(encs []*gofeed.Enclosure) *gofeed.Enclosure {
	var first *gofeed.Enclosure
	for _, e := range encs {
		if e == nil || strings.TrimSpace(e.URL) == "" {
			continue
		}
		if first == nil {
			first = e
		}
		t := strings.ToLower(strings.TrimSpace(e.Type))
		if strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "x-audio/") {
			return e
		}
	}
	return first
}

// channelAuthor prefers itunes:author, which podcast hosts fill with the show's
// public name; the RSS/Atom author is often an e-mail address.
func channelAuthor(gf *gofeed.Feed) string {
	if gf.ITunesExt != nil {
		if a := strings.TrimSpace(gf.ITunesExt.Author); a != "" {
			return a
		}
	}
	var names []string
	for _, p := range gf.Authors {
		if p == nil {
			continue
		}
		if n := strings.TrimSpace(p.Name); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 && gf.Author != nil {
		if n := strings.TrimSpace(gf.Author.Name); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// channelImage prefers itunes:image, the square artwork directories show.
func channelImage(gf *gofeed.Feed) string {
	if gf.ITunesExt != nil {
		if u := strings.TrimSpace(gf.ITunesExt.Image); u != "" {
			return u
		}
	}
	if gf.Image != nil {
		return strings.TrimSpace(gf.Image.URL)
	}
	return ""
}

// primaryLanguage keeps the primary subtag of a language tag, lower-cased
// ("en-US" -> "en", "fr_FR" -> "fr"): search picks its stemmer by language, and a
// region makes no difference there.
func primaryLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_ "); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

// cleanTitle decodes entities left in a title (some feeds escape twice, so gofeed's
// one decoding leaves "&amp;") and collapses runs of whitespace and newlines.
func cleanTitle(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// positiveInt reads a whole positive number, or 0. Values such as "1.0" occur in
// podcast:episode and are accepted when whole.
func positiveInt(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 {
			return n
		}
		return 0
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v < 1e9 && v == float64(int(v)) {
		return int(v)
	}
	return 0
}

// extValue is the text of the first <prefix:name> element gofeed kept as an
// extension, or "".
func extValue(exts ext.Extensions, prefix, name string) string {
	if l := exts[prefix][name]; len(l) > 0 {
		return strings.TrimSpace(l[0].Value)
	}
	return ""
}

// extAttr is an attribute of the first <prefix:name> extension element, or "".
func extAttr(exts ext.Extensions, prefix, name, attr string) string {
	if l := exts[prefix][name]; len(l) > 0 {
		return strings.TrimSpace(l[0].Attrs[attr])
	}
	return ""
}

// maxPodloveChapters bounds the <psc:chapter> elements read for one item.
const maxPodloveChapters = 500

// podloveChapters reads Podlove Simple Chapters (<psc:chapters><psc:chapter
// start="00:01:02.500" title="…"/></psc:chapters>, http://podlove.org/simple-chapters):
// each chapter's start in whole seconds and its title, sorted by time, without
// the ones whose start cannot be read or that have no title. gofeed keeps them
// as extensions under the prefix the feed declares, usually "psc"; any prefix
// with a <chapters> of <chapter start=…> elements is read, except podcast's own.
func podloveChapters(exts ext.Extensions) []Chapter {
	var out []Chapter
	prefixes := make([]string, 0, len(exts))
	for prefix := range exts {
		prefixes = append(prefixes, prefix)
	}
	sort.Strings(prefixes) // map order would make ties between prefixes vary
	for _, prefix := range prefixes {
		if prefix == "podcast" {
			continue
		}
		for _, list := range exts[prefix]["chapters"] {
			for _, c := range list.Children["chapter"] {
				if len(out) == maxPodloveChapters {
					break
				}
				secs, ok := ParseDuration(c.Attrs["start"])
				title := shownotes.CollapseSpaces(html.UnescapeString(c.Attrs["title"]))
				if !ok || title == "" {
					continue
				}
				out = append(out, Chapter{StartSeconds: secs, Title: title})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartSeconds < out[j].StartSeconds })
	return out
}
