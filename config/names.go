package config

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"strings"
)

// genericSegments are path segments that say "this is a feed", not which one, so
// they add nothing to a name: https://example.org/feed.xml is just "example.org".
var genericSegments = map[string]bool{
	"feed": true, "feeds": true, "rss": true, "rss2": true, "atom": true, "xml": true,
	"podcast": true, "podcasts": true, "index": true, "itunes": true,
}

// feedExtensions are dropped from path segments: "show.rss" means "show".
var feedExtensions = map[string]bool{
	".xml": true, ".rss": true, ".atom": true, ".php": true, ".json": true, ".html": true, ".htm": true,
}

// hashLen is how many hex digits of the source's SHA-256 tell colliding derived
// names apart: 6 (24 bits) is short to type and enough for one config's feeds.
const hashLen = 6

// nameFeeds sets the name of every feed that has none. A derived name depends only
// on the feed's own source, so adding, removing or moving another feed never renames
// it, except when two derived names would be the same: then each of them gets the
// hash of its source appended. Names the admin set are never changed.
func nameFeeds(feeds []Feed) {
	explicit := make(map[string]bool, len(feeds))
	derived := make([]string, len(feeds))
	count := make(map[string]int, len(feeds))
	for i, f := range feeds {
		if f.Name != "" {
			explicit[f.Name] = true
			continue
		}
		derived[i] = f.derivedName()
		count[derived[i]]++
	}
	for i := range feeds {
		n := derived[i]
		if feeds[i].Name != "" || n == "" {
			continue
		}
		if count[n] > 1 || explicit[n] {
			n = withHash(n, feeds[i].source())
		}
		feeds[i].Name = n
	}
}

// source is what identifies the feed, for the hash that tells names apart.
func (f Feed) source() string {
	switch {
	case f.URL != "":
		return f.URL
	case f.Apple != "":
		return f.Apple
	}
	return strings.ToLower(f.Title) + "\x00" + strings.ToLower(f.Author)
}

// withHash appends "-" and the first hex digits of source's SHA-256 to name,
// shortening name so the whole stays a valid length.
func withHash(name, source string) string {
	sum := sha256.Sum256([]byte(source))
	suffix := "-" + hex.EncodeToString(sum[:])[:hashLen]
	return trimName(name, maxNameLen-len(suffix)) + suffix
}

// trimName cuts name to at most n bytes, without a trailing separator.
func trimName(name string, n int) string {
	if len(name) > n {
		name = name[:n]
	}
	return strings.TrimRight(name, "-.")
}

// derivedName is the name given to a feed configured without one, before
// collisions are settled: the title's slug, else a name from the URL, else from the
// Apple page.
func (f Feed) derivedName() string {
	if n := slug(f.Title); n != "" {
		return n
	}
	if f.URL != "" {
		if n := urlName(f.URL); n != "" {
			return n
		}
	}
	if f.Apple != "" {
		return appleName(f)
	}
	return ""
}

// urlName names a feed by its URL: host and meaningful path for http(s), the
// file's name for a path or a file:// URL. It never uses the userinfo or the
// query, which may hold credentials.
func urlName(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		host := hostName(u.Hostname())
		if host == "" {
			return ""
		}
		if p := pathSlug(u.Path); p != "" {
			return trimName(host+"-"+p, maxNameLen)
		}
		return trimName(host, maxNameLen)
	}
	p := raw
	if err == nil && u.Scheme == "file" {
		p = u.Path
	}
	base := path.Base(strings.ReplaceAll(p, `\`, "/"))
	return slug(strings.TrimSuffix(base, path.Ext(base)))
}

// hostName is a host as a name: lower case, without "www.", accents folded, and
// only the characters a name allows ("::1" gives "ip6-1").
func hostName(h string) string {
	h = accents.Replace(strings.TrimPrefix(strings.ToLower(h), "www."))
	if strings.Contains(h, ":") {
		h = "ip6-" + h
	}
	var b strings.Builder
	dash := false
	for _, r := range h {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.'
		if !ok || r == '-' {
			dash = true // runs of anything else become one "-"
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	return strings.Trim(b.String(), "-.")
}

// pathSlug is the meaningful part of a URL path as a slug: generic segments (feed,
// rss, podcast…) and feed extensions (.xml, .rss…) left out.
func pathSlug(p string) string {
	var parts []string
	for _, seg := range strings.Split(p, "/") {
		if ext := strings.ToLower(path.Ext(seg)); feedExtensions[ext] {
			seg = strings.TrimSuffix(seg, path.Ext(seg))
		}
		s := slug(seg)
		if s == "" || genericSegments[s] {
			continue
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "-")
}

// appleName names a feed by its Apple Podcasts page, whose path ends in
// /<podcast-slug>/id<digits>.
func appleName(f Feed) string {
	if u, err := url.Parse(f.Apple); err == nil {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		for i := len(parts) - 1; i > 0; i-- {
			if strings.HasPrefix(parts[i], "id") {
				if n := slug(parts[i-1]); n != "" && n != "podcast" {
					return n
				}
			}
		}
	}
	if id := f.AppleID(); id != "" {
		return "apple-" + id
	}
	return ""
}
