package shownotes

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bareURLRe finds URLs written as text. Apostrophes are allowed inside because
// flattened notes glue the next word to the URL ("https://labs.ripe.net/L'accès");
// cutGluedURL takes such words off again.
var bareURLRe = regexp.MustCompile(`(?i)(?:https?://|mailto:)[^\s<>"«»]+`)

// linksOf collects the notes' links: <a href> anchors (Markdown links among
// them) and bare URLs, with their text and the section they appear in.
//
//   - Text: the anchor's own text; an image link's alt text or title; for an
//     anchor whose text is its URL, or a bare URL, the label before it on its
//     line ("Les articles de RIPE Labs https://labs.ripe.net/"), unless that is
//     a long sentence of running prose; else the URL's host and path.
//   - URL: tracking parameters removed (trackingParams); links that differ only
//     by tracking, a trailing slash, a fragment or the case of the scheme or
//     host are one link.
//   - Footer: the podcast's own links (subscribe, follow, support, its site,
//     feed and apps) are marked, apart from the episode's references.
func linksOf(blocks []nblock, page string) []Link {
	var out []Link
	index := map[string]int{}
	add := func(text, u string, b *nblock, at int) {
		u, ok := cleanURL(u)
		if !ok {
			return
		}
		u = stripTracking(u)
		text = truncateRunes(oneLine(text), maxLinkText)
		if text == "" {
			text = hostPath(u)
		}
		key := linkKey(u)
		if i, seen := index[key]; seen {
			if out[i].Text == hostPath(out[i].URL) && text != hostPath(u) {
				out[i].Text = text
			}
			return
		}
		if len(out) >= maxLinks {
			return
		}
		index[key] = len(out)
		line := lineAround(b.Text, at)
		out = append(out, Link{Text: text, URL: u, Section: b.Section, Footer: isFooterLink(text, u, b.Section, line, page)})
	}
	label := "" // a short paragraph ending in ":" labels the URLs after it
	for bi := range blocks {
		b := &blocks[bi]
		if b.boiler {
			continue
		}
		if b.Kind == Heading {
			label = ""
		}
		if isOnlyURLs(b.Text) && len(b.Links) == 0 && label != "" {
			for _, m := range bareURLRe.FindAllStringIndex(b.Text, maxLinks) {
				add(label, trimURLPunct(b.Text[m[0]:m[1]]), b, m[0])
			}
			continue
		}
		if t := strings.TrimSpace(b.Text); b.Kind == Paragraph && strings.HasSuffix(t, ":") && utf8.RuneCountInString(t) <= 120 {
			label = strings.TrimSpace(strings.TrimSuffix(t, ":"))
		} else if b.Kind != Paragraph || !isOnlyURLs(b.Text) {
			label = ""
		}
		prevEnd := 0
		var covered [][2]int
		for _, a := range b.Links {
			if a.Start > len(b.Text) || a.End > len(b.Text) || a.Start > a.End {
				continue
			}
			covered = append(covered, [2]int{a.Start, a.End})
			text := oneLine(b.Text[a.Start:a.End])
			if text == "" && a.Alt != "" {
				text = a.Alt
			}
			if text == "" || looksLikeURLText(text, a.URL) {
				text = labelBefore(b, prevEnd, a.Start, a.End)
			}
			add(text, a.URL, b, a.Start)
			prevEnd = a.End
		}
		// Bare URLs outside anchors.
		prevEnd = 0
		if low := asciiLower(b.Text); !strings.Contains(low, "http") && !strings.Contains(low, "mailto:") {
			continue
		}
		for _, m := range bareURLRe.FindAllStringIndex(b.Text, maxLinks) {
			if inside(covered, m[0]) {
				prevEnd = m[1]
				continue
			}
			u := cutGluedURL(b.Text[m[0]:m[1]], b.Text[m[1]:])
			// An anchor before the URL ends whatever could name it: the
			// anchor's text is its own.
			for _, c := range covered {
				if c[1] <= m[0] && c[1] > prevEnd {
					prevEnd = c[1]
				}
			}
			add(labelBefore(b, prevEnd, m[0], m[0]+len(u)), u, b, m[0])
			prevEnd = m[0] + len(u)
		}
	}
	return out
}

// labelBefore is the text that names a URL written at text[start:end]: the
// label before it on its line, when the URL ends the line or the block is in a
// links section, or the label is short; "" otherwise (the URL's host and path
// will do). A long sentence of running prose around a URL is no link text.
func labelBefore(b *nblock, from, start, end int) string {
	pre := precedingText(b.Text, from, start)
	if pre == "" || len(strings.Fields(pre)) <= 12 || isLinksSection(b.Section) {
		return pre
	}
	rest := b.Text[min(end, len(b.Text)):]
	if k := strings.IndexByte(rest, '\n'); k >= 0 {
		rest = rest[:k]
	}
	if !hasLetter(rest) {
		return pre // the URL ends its line: the line is its description
	}
	return ""
}

// lineAround returns the line of s holding byte i, at most 300 bytes of it
// either side of i: the context that says what a link is.
func lineAround(s string, i int) string {
	i = min(max(i, 0), len(s))
	from := max(0, i-300)
	for from < i && !utf8.RuneStart(s[from]) {
		from++
	}
	to := min(len(s), i+300)
	for to < len(s) && !utf8.RuneStart(s[to]) {
		to++
	}
	start := from + strings.LastIndexByte(s[from:i], '\n') + 1
	end := to
	if k := strings.IndexByte(s[i:to], '\n'); k >= 0 {
		end = i + k
	}
	return s[start:end]
}

func inside(spans [][2]int, i int) bool {
	for _, s := range spans {
		if i >= s[0] && i < s[1] {
			return true
		}
	}
	return false
}

// looksLikeURLText reports anchor text that merely repeats the URL.
func looksLikeURLText(text, href string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		for _, p := range []string{"https://", "http://", "mailto:", "www."} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.TrimRight(s, "/")
	}
	t := norm(text)
	return t == norm(href) || strings.HasPrefix(strings.ToLower(text), "http://") || strings.HasPrefix(strings.ToLower(text), "https://")
}

// precedingText is the text of s between from and to on the same line, as a
// link label: separators trimmed, only the last sentence of a long run.
func precedingText(s string, from, to int) string {
	if from > to || to > len(s) {
		return ""
	}
	t := s[from:to]
	if k := strings.LastIndexByte(t, '\n'); k >= 0 {
		t = t[k+1:]
	}
	if st := sentenceStarts(t); len(st) > 0 {
		t = t[st[len(st)-1]:]
	}
	t = cutCamelGlue(t)
	t = strings.TrimRightFunc(t, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:,;(|.", r) })
	t = strings.TrimLeftFunc(t, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:,;)|.", r) })
	if !hasLetter(t) {
		return ""
	}
	return oneLine(t)
}

// cutGluedURL trims a bare URL: trailing punctuation, and a capitalised word that
// flattening glued to its end ("…/ui2013/L'accès", "…-dorangeLes"). The word is
// cut when the text after the URL goes on in lowercase ("Les rayonnements"), or
// when it follows a lowercase path segment ("glossaire.htmlOutage").
func cutGluedURL(u, after string) string {
	u = trimURLPunct(u)
	schemeEnd := strings.Index(u, "://")
	if schemeEnd < 0 {
		return u
	}
	// Find the last capital that starts a lowercase word reaching the end.
	cut := -1
	for i, r := range u {
		if i <= schemeEnd+3 || !unicode.IsUpper(r) {
			continue
		}
		tail := u[i+utf8.RuneLen(r):]
		if tail == "" || !allWordLower(tail) {
			continue
		}
		cut = i
	}
	if cut < 0 {
		return u
	}
	nextLower := false
	if after != "" && (after[0] == ' ' || after[0] == '\t') {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " \t"))
		nextLower = unicode.IsLower(r)
	}
	seg := u[strings.LastIndexAny(u[:cut], "/#?=&.")+1 : cut]
	p := prevRune(u, cut)
	if p == '.' {
		return u // "…/A.Bcd", "example.Com": a name, not a glued word
	}
	segLower := seg != "" && (unicode.IsLower(p) || unicode.IsDigit(p)) && strings.ToLower(seg) == seg
	if nextLower || segLower {
		return trimURLPunct(u[:cut])
	}
	return u
}

// allWordLower reports whether s is the rest of a word: lowercase letters,
// apostrophes and inner hyphens.
func allWordLower(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLower(r), r == '\'', r == '’':
		case r == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// trimURLPunct removes sentence punctuation after a URL, keeping balanced
// closing parentheses (Wikipedia URLs).
func trimURLPunct(u string) string {
	for u != "" {
		r, size := utf8.DecodeLastRuneInString(u)
		switch {
		case r == ')':
			if strings.Count(u, "(") >= strings.Count(u, ")") {
				return u
			}
		case r == ']':
			if strings.Count(u, "[") >= strings.Count(u, "]") {
				return u
			}
		case strings.ContainsRune(".,;:!?'\"’”»}>", r):
		default:
			return u
		}
		u = u[:len(u)-size]
	}
	return u
}

// cleanURL accepts http(s) and mailto URLs only, without spaces or control
// characters, with a host for http(s).
func cleanURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 2048 || !utf8.ValidString(u) {
		return "", false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f || isSpaceRune(r) {
			return "", false
		}
	}
	low := strings.ToLower(u)
	switch {
	case strings.HasPrefix(low, "http://"), strings.HasPrefix(low, "https://"):
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return "", false
		}
	case strings.HasPrefix(low, "mailto:"):
		if len(u) <= len("mailto:") {
			return "", false
		}
	default:
		return "", false
	}
	return u, true
}

// cutCamelGlue drops what comes before the last "wordWord" glue of a long label
// from flattened notes ("…1997. WikipediaLe blog de Damien …" keeps "Le blog de
// Damien …"), when enough words remain.
func cutCamelGlue(t string) string {
	if utf8.RuneCountInString(t) <= 60 {
		return t
	}
	cut := -1
	prev, prev2 := rune(-1), rune(-1)
	for i, r := range t {
		if unicode.IsLower(prev2) && unicode.IsUpper(prev) && unicode.IsLower(r) {
			cut = i - utf8.RuneLen(prev)
		}
		prev2, prev = prev, r
	}
	if cut > 0 && len(strings.Fields(t[cut:])) >= 3 {
		return t[cut:]
	}
	return t
}

// trackingParams are query parameters that only track who clicked: they are
// removed from links, and links that differ by them are one link. This is the
// one list; amazonParams apply on Amazon's hosts only, where "tag" and "ref"
// are affiliate and referral noise.
var (
	trackingParams = wordSet([]string{
		"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
		"yclid", "_hsenc", "_hsmi", "mkt_tok", "wt_mc", "wt_zmc", "twclid", "ttclid", "li_fat_id",
		"s_cid", "ocid", "cmpid", "_ga", "_gl", "si",
	})
	amazonParams = wordSet([]string{
		"ref", "ref_", "tag", "qid", "sr", "linkcode", "linkid", "camp", "creative", "creativeasin",
		"psc", "th", "pd_rd_i", "pd_rd_r", "pd_rd_w", "pd_rd_wg", "pf_rd_p", "pf_rd_r", "smid",
		"sprefix", "crid", "keywords", "ascsubtag",
	})
)

// IsTrackingParam reports a query parameter that only tracks the reader
// (utm_*, fbclid, gclid, mc_cid, Amazon's ref and tag…) and is dropped from a
// link on host: the one list of them, also used by `pmbot notes-report`.
func IsTrackingParam(host, key string) bool {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "utm_") || trackingParams[k] {
		return k != "si" || isHost(host, "open.spotify.com", "youtu.be", "youtube.com")
	}
	return isAmazon(host) && amazonParams[k]
}

// isAmazon reports an Amazon shop or short-link host.
func isAmazon(host string) bool {
	h := strings.ToLower(host)
	return strings.HasPrefix(h, "amazon.") || strings.Contains(h, ".amazon.") || h == "amzn.to" || h == "amzn.eu" || strings.HasSuffix(h, ".amzn.to")
}

// isHost reports whether host is one of hosts or a subdomain of one.
func isHost(host string, hosts ...string) bool {
	h := strings.TrimPrefix(strings.ToLower(host), "www.")
	for _, x := range hosts {
		if h == x || strings.HasSuffix(h, "."+x) {
			return true
		}
	}
	return false
}

// stripTracking removes tracking parameters (and Amazon's "/ref=…" path
// segment) from an http(s) URL; the rest of the URL is kept byte for byte.
func stripTracking(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	changed := false
	if isAmazon(p.Host) {
		if k := strings.Index(p.Path, "/ref="); k >= 0 {
			p.Path = p.Path[:k+1]
			p.RawPath = ""
			changed = true
		}
	}
	if p.RawQuery != "" {
		var keep []string
		for _, kv := range strings.Split(p.RawQuery, "&") {
			k := kv
			if i := strings.IndexByte(kv, '='); i >= 0 {
				k = kv[:i]
			}
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
			if kv == "" || IsTrackingParam(p.Host, k) {
				changed = true
				continue
			}
			keep = append(keep, kv)
		}
		p.RawQuery = strings.Join(keep, "&")
	}
	if !changed {
		return u
	}
	return p.String()
}

// linkKey is the form in which two links are the same link: scheme and host in
// lower case, no default port, no "www.", no fragment, no tracking, the
// path unescaped and without a trailing slash, the parameters sorted.
func linkKey(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	host := strings.TrimPrefix(strings.ToLower(p.Hostname()), "www.")
	if port := p.Port(); port != "" && port != "80" && port != "443" {
		host += ":" + port
	}
	q := p.Query()
	for k := range q {
		if IsTrackingParam(p.Host, k) {
			q.Del(k)
		}
	}
	key := strings.ToLower(p.Scheme) + "://" + host + strings.TrimRight(p.Path, "/")
	if len(q) > 0 {
		key += "?" + q.Encode()
	}
	return key
}

// hostPath is a link's text when nothing names it: its host (without "www.")
// and path, without the scheme, the query or the fragment; an e-mail address
// for mailto.
func hostPath(u string) string {
	if strings.HasPrefix(strings.ToLower(u), "mailto:") {
		addr := u[len("mailto:"):]
		if k := strings.IndexByte(addr, '?'); k >= 0 {
			addr = addr[:k]
		}
		if a, err := url.PathUnescape(addr); err == nil {
			addr = a
		}
		return CollapseSpaces(addr)
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	path := strings.TrimRight(p.Path, "/")
	if !utf8.ValidString(path) {
		path = strings.TrimRight(p.EscapedPath(), "/")
	}
	return truncateRunes(CollapseSpaces(strings.TrimPrefix(strings.ToLower(p.Host), "www.")+path), maxLinkText)
}

// platformNames are link texts that name a place where the podcast is, not a
// reference of the episode (folded).
var platformNames = wordSet([]string{
	"twitter", "x", "facebook", "instagram", "youtube", "tiktok", "linkedin", "mastodon", "threads",
	"bluesky", "discord", "patreon", "reddit", "twitch", "spotify", "apple podcasts", "itunes",
	"google podcasts", "overcast", "pocket casts", "castbox", "deezer", "stitcher", "podcast addict",
	"rss", "rss feed", "podcast feed", "feed", "website", "our website", "web site", "site web",
	"notre site", "newsletter", "our newsletter", "donate", "paypal", "ko-fi", "buy me a coffee",
	"tipeee", "steady", "subscribe", "s'abonner", "abonnieren", "suscribirse", "iscriviti",
	"inscreva-se", "email", "e-mail", "contact", "contact us", "email us", "merch", "shop", "store",
	"soundcloud", "telegram", "whatsapp", "substack",
})

// footerHosts are hosts whose links are the podcast's own (apps, directories,
// donations), whatever their text.
var footerHosts = []string{
	"podcasts.apple.com", "itunes.apple.com", "open.spotify.com", "podcasts.google.com",
	"music.amazon.com", "overcast.fm", "pca.st", "pocketcasts.com", "castbox.fm", "castro.fm",
	"podcastaddict.com", "stitcher.com", "player.fm", "podbean.com", "patreon.com", "ko-fi.com",
	"buymeacoffee.com", "tipeee.com", "steadyhq.com", "liberapay.com", "app.link", "apoia.se",
}

// isFooterLink reports the podcast's own link: under a heading that says so
// ("Follow us", "More <show>"), a call to follow or support, a platform named
// alone ("Twitter", "Website"), a feed, an audio file, an OPML, a privacy page, a
// podcast app or a donation page, or the home page of the episode's own site.
func isFooterLink(text, u, section, line, page string) bool {
	if section != "" {
		f := Fold(section)
		if footerSet.in(f) || phraseAtStart(f, []string{"more", "plus de", "mehr", "mas de", "altro da"}) >= 0 {
			return true
		}
	}
	t := Fold(strings.Trim(text, " .:!-–—|"))
	if platformNames[t] || footerSet.in(t) {
		return true
	}
	// "Our Twitter", "Launched Podcast Twitter": the show's own account.
	if w := strings.Fields(t); len(w) >= 2 && (platformNames[w[len(w)-1]] || platformNames[w[0]]) &&
		containsPhrase(t, []string{"podcast", "our", "the show", "notre", "unser", "nuestro", "nostro", "nosso"}) {
		return true
	}
	if l := Fold(line); footerSet.in(l) || footerCallSet.in(l) {
		return true
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	path := strings.ToLower(p.Path)
	for _, ext := range []string{".xml", ".rss", ".mp3", ".m4a", ".ogg", ".opus", ".opml", "/rss", "/feed", "/feed/", "/rss/"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	if isPolicyPage(path) || isHost(p.Host, footerHosts...) ||
		strings.Contains(p.Host, "paypal.") && strings.Contains(path, "donate") {
		return true
	}
	if pg, err := url.Parse(page); err == nil && pg.Host != "" && strings.Trim(p.Path, "/") == "" &&
		strings.EqualFold(strings.TrimPrefix(p.Host, "www."), strings.TrimPrefix(pg.Host, "www.")) {
		return true
	}
	return false
}

// isPolicyPage reports a host's privacy or ad-choices page (the last segment of
// the path names it: "/privacy", "/adchoices", "/datenschutz").
func isPolicyPage(path string) bool {
	seg := strings.Trim(path, "/")
	seg = seg[strings.LastIndexByte(seg, '/')+1:]
	switch seg {
	case "privacy", "privacy-policy", "privacypolicy", "privacy-notice", "adchoices", "listener",
		"datenschutz", "confidentialite", "politique-de-confidentialite", "privacidad", "cookies":
		return true
	}
	return false
}

var footerCallSet = newPhraseSet(footerCalls)

// footerCalls, on the line of a link, say it is the podcast's own (folded).
var footerCalls = []string{
	"find out more about", "to learn more about", "learn more about the show", "visit our website",
	"visit us at", "our website", "en savoir plus sur", "notre site", "unsere website", "nuestro sitio",
	"il nostro sito", "nosso site", "available in the", "available on",
}
