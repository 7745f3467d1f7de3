package feeds

import (
	"hash/fnv"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Alias kinds. An alias is "kind:value"; two items sharing any alias are one episode.
const (
	AliasGUID      = "guid"
	AliasEnclosure = "enclosure"
	AliasNumber    = "number"
	AliasTitleDay  = "title"
)

// Aliases returns the identity keys of an episode: its GUID, its normalised enclosure
// URL, its episode number and its normalised title with publication day. Hosts that
// migrate a feed rewrite GUIDs and enclosure URLs, rarely all four at once.
func Aliases(ep Episode) []string {
	out := make([]string, 0, 4)
	if ep.GUID != "" {
		out = append(out, AliasGUID+":"+ep.GUID)
	}
	if u := NormalizeEnclosureURL(ep.AudioURL); u != "" {
		out = append(out, AliasEnclosure+":"+u)
	}
	if ep.Number > 0 && ep.Type != TypeTrailer && ep.Type != TypeBonus {
		// Seasons restart their numbering; trailers and bonuses often reuse a number.
		out = append(out, AliasNumber+":"+strconv.Itoa(ep.Season)+":"+strconv.Itoa(ep.Number))
	}
	if t := FoldTitle(ep.Title); t != "" && !ep.Published.IsZero() {
		out = append(out, AliasTitleDay+":"+t+"|"+ep.Published.UTC().Format("2006-01-02"))
	}
	return out
}

// trackingParams are query parameters that hosts and ad networks add to enclosure
// URLs; they change between fetches and say nothing about the file.
var trackingParams = map[string]bool{
	"utm_source": true, "utm_medium": true, "utm_campaign": true, "utm_term": true,
	"utm_content": true, "ref": true, "source": true, "aid": true, "awcollectionid": true,
	"awepisodeid": true, "feed": true, "cb": true, "_": true, "updated": true, "ts": true,
	"dest-id": true, "from": true, "mc_cid": true, "mc_eid": true, "fbclid": true, "gclid": true,
}

// NormalizeEnclosureURL lower-cases scheme and host, drops the default port, the
// fragment and tracking query parameters, and sorts what remains, so the same file
// served with different tracking noise compares equal. Scheme differences
// (http/https) are folded too: hosts flip between them.
func NormalizeEnclosureURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		if !trackingParams[strings.ToLower(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(host)
	b.WriteString(u.EscapedPath())
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		for j, v := range q[k] {
			if j > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	return b.String()
}

// notesVersion is part of every content hash: bump it when the show-notes reading
// changes, so stored episodes get their notes read again on the next poll.
const notesVersion = "notes-4"

// ContentHash fingerprints what the feed says of an episode. Everything derived
// (NotesText, Notes) follows from these fields, so an episode whose hash is
// unchanged needs neither its notes read again nor a write.
func (ep Episode) ContentHash() string {
	h := fnv.New64a()
	h.Write([]byte(notesVersion))
	for _, s := range []string{ep.GUID, ep.Title, ep.RawTitle, ep.Type, ep.AudioURL, ep.AudioType, ep.Link, ep.Image, ep.NotesHTML, ep.Language, ep.ChaptersURL} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, n := range []int64{int64(ep.Number), int64(ep.Season), ep.Published.Unix(), int64(ep.DurationSeconds), ep.AudioSize} {
		h.Write(strconv.AppendInt(nil, n, 10))
		h.Write([]byte{0})
	}
	// The Podlove chapters the item declares are read into Notes.
	for _, c := range ep.PodloveChapters {
		h.Write(strconv.AppendInt(nil, int64(c.StartSeconds), 10))
		h.Write([]byte{0})
		h.Write([]byte(c.Title))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
