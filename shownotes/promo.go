package shownotes

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Promotional text: sponsor reads, promo codes, calls to subscribe, follow,
// review or support, and the boilerplate hosts append. It is recognised sentence
// by sentence, so that a sponsor read sharing a paragraph with the episode's
// real summary goes and the summary stays; a block left without text is
// promotional as a whole, and so is every block under a sponsors heading. The
// rules never read promotional text (nor its links) as a summary, a takeaway or
// a link.

// hostBoilerplate are (folded) phrases of host boilerplate: the sentence holding
// one and everything after it in its block go, as hosts append these at the end.
var hostBoilerplate = []string{
	"hosted on acast", "acast.com/privacy", "omnystudio.com/listener",
	"learn more about your ad choices", "megaphone.fm/adchoices", "podcastchoices.com/adchoices",
	"see privacy policy at", "california privacy notice", "art19.com/privacy",
	"for more information on how we use your data", "privacy & opt-out", "powered by ausha",
	"visit podcastics", "see anchor.fm/privacy", "become a supporter of this podcast",
	"this page created with the freedomcontroller", "by freedom controller",
}

// sponsorSections are words of a heading whose blocks are all promotional.
var sponsorSections = []string{
	"sponsor", "sponsors", "our sponsors", "this week's sponsors", "today's sponsors", "partenaires",
	"nos partenaires", "patrocinadores", "patrocinador", "werbung", "sponsoren", "anzeige",
	"sponsorizzato", "patrocinio",
}

var (
	// promoCodeRe finds a promo code: a code word and a code in capitals or digits.
	promoCodeRe = regexp.MustCompile(`(?i:\b(?:promo|coupon|discount|offer|code|codigo|código|codice|gutscheincode|rabattcode|gutschein|cupom)\b)\s*:?\s*["“«']?[A-Z0-9][A-Z0-9-]{2,}\b`)
	// percentOffRe finds a discount: "20% off", "-15 %", "20 % de réduction".
	percentOffRe = regexp.MustCompile(`(?i)\d{1,2}\s?%\s?(?:off\b|de r[ée]duction|de descuento|de desconto|rabatt|di sconto|discount)`)
	// domainRe finds a web address written without a scheme ("acme.com/pod").
	domainRe = regexp.MustCompile(`(?i)\b[a-z0-9-]{2,}\.(?:com|net|org|io|co|fm|app|dev|fr|de|es|it|pt|be|ch|ca|uk|us|tv|ly|gg|me|shop|store)\b`)
)

// sponsorishWords, in a sentence that follows a sponsor's introduction, keep it
// in the sponsor read (folded, on word boundaries).
var sponsorishWords = []string{
	"visit", "go to", "head to", "head over to", "sign up", "try", "get", "start your", "free trial",
	"offer", "exclusive", "listeners", "today", "save", "discount", "deal",
	"rendez-vous sur", "allez sur", "inscrivez-vous", "offre", "essai gratuit", "reduction",
	"visita", "registrate", "oferta", "prueba gratis", "besuche", "besucht", "angebot", "rabatt",
	"gratis", "vai su", "offerta", "sconto", "acesse", "visite", "desconto", "teste gratis",
}

var sponsorishSet = newPhraseSet(sponsorishWords)

// markPromo finds promotional text in the blocks: whole blocks are marked
// boiler, promotional sentences are cut out of the others.
func markPromo(blocks []nblock) {
	for i := range blocks {
		b := &blocks[i]
		if b.Kind == Heading {
			continue
		}
		if b.Section != "" && containsPhrase(Fold(b.Section), sponsorSections) {
			b.boiler = true
			continue
		}
		spans := promoSpans(b.Text)
		if len(spans) == 0 {
			continue
		}
		removeSpans(b, spans)
		if !hasLetter(b.Text) {
			b.Text, b.Links = "", nil
			b.boiler = true
		}
	}
}

// promoSpans returns the byte spans of s that are promotional, in order.
func promoSpans(s string) [][2]int {
	if !mayBePromo(Fold(s)) {
		return nil
	}
	folded := asciiLower(s) // same offsets as s
	var spans [][2]int
	// Host boilerplate: from its sentence to the end.
	cut := -1
	for _, m := range hostBoilerplate {
		if k := strings.Index(folded, m); k >= 0 && (cut < 0 || k < cut) {
			cut = k
		}
	}
	end := len(s)
	if cut >= 0 {
		end = sentenceStartBefore(s, cut)
	}
	var (
		inRead  bool
		sponsor []string
	)
	for _, sp := range sentenceSpans(s[:end]) {
		sent := s[sp[0]:sp[1]]
		f := Fold(sent)
		switch {
		case opensSponsorRead(f):
			inRead = true
			sponsor = capitalisedWords(sent)
		case promoOnlySet.in(f):
		case inRead && sponsorish(sent, f, sponsor):
		default:
			inRead = false
			continue
		}
		spans = append(spans, sp)
	}
	if end < len(s) {
		spans = append(spans, [2]int{end, len(s)})
	}
	return spans
}

// mayBePromo is a quick filter before sentences are split: the (folded) text
// holds host boilerplate or a promotional phrase somewhere.
func mayBePromo(folded string) bool {
	for _, m := range hostBoilerplate {
		if strings.Contains(folded, m) {
			return true
		}
	}
	return promoAllSet.in(folded)
}

// promoOnly are the promotional phrases that are not a sponsor's introduction.
var promoOnly = func() []string {
	intro := wordSet(sponsorIntros)
	var out []string
	for _, p := range promoPhrases {
		if !intro[p] {
			out = append(out, p)
		}
	}
	return out
}()

// opensSponsorRead reports whether a (folded) sentence introduces a sponsor:
// the introduction comes first, or after a few words ("Today's episode is
// brought to you by"). Further into a sentence it is a figure of speech ("his
// top 10 games of 2011, brought to you by the letter D").
func opensSponsorRead(f string) bool {
	k := sponsorSet.find(f)
	return k >= 0 && len(strings.Fields(f[:k])) <= 4
}

// sponsorish reports whether a sentence after a sponsor's introduction still
// speaks of the sponsor: it names it, gives an address, a code, a discount, or
// asks the listener to go and try.
func sponsorish(sent, folded string, sponsor []string) bool {
	if strings.Contains(sent, "://") || domainRe.MatchString(sent) || promoCodeRe.MatchString(sent) || percentOffRe.MatchString(sent) {
		return true
	}
	for _, name := range sponsor {
		if containsWord(sent, name) {
			return true
		}
	}
	return sponsorishSet.in(folded)
}

// capitalisedWords are the words of a sentence that start with a capital, but
// its first word: in a sponsor's introduction, the sponsor's name.
func capitalisedWords(sent string) []string {
	var out []string
	for i, w := range strings.FieldsFunc(sent, func(r rune) bool { return !isWordRune(r) && r != '\'' }) {
		r, _ := utf8.DecodeRuneInString(w)
		if i > 0 && unicode.IsUpper(r) && utf8.RuneCountInString(w) >= 2 && len(out) < 8 {
			out = append(out, w)
		}
	}
	return out
}

// containsWord reports whether s holds w as a whole word.
func containsWord(s, w string) bool {
	for from := 0; from < len(s); {
		k := strings.Index(s[from:], w)
		if k < 0 {
			return false
		}
		k += from
		if wordBoundaryBefore(s, k) && wordBoundaryAfter(s, k+len(w), w) {
			return true
		}
		from = k + len(w)
	}
	return false
}

// sentenceSpans cuts s into sentences: at line breaks, then where sentenceStarts
// says, the spans covering s.
func sentenceSpans(s string) [][2]int {
	var out [][2]int
	lineStart := 0
	for lineStart <= len(s) {
		lineEnd := len(s)
		if k := strings.IndexByte(s[lineStart:], '\n'); k >= 0 {
			lineEnd = lineStart + k
		}
		line := s[lineStart:lineEnd]
		prev := 0
		for _, st := range sentenceStarts(line) {
			if st > prev {
				out = append(out, [2]int{lineStart + prev, lineStart + st})
				prev = st
			}
		}
		if prev < len(line) {
			out = append(out, [2]int{lineStart + prev, lineEnd})
		}
		if lineEnd == len(s) {
			break
		}
		lineStart = lineEnd + 1
	}
	return out
}

// removeSpans cuts the spans (in order, not overlapping) out of a block's text,
// dropping the links inside them and moving the others. Spans and links are
// both in text order, so one sweep does it.
func removeSpans(b *nblock, spans [][2]int) {
	var (
		sb      strings.Builder
		kept    [][2]int
		prev    int
		removed []int // removed[i]: bytes removed up to the end of kept[i]
		total   int
	)
	for _, sp := range spans {
		if sp[0] < prev || sp[1] > len(b.Text) || sp[0] > sp[1] {
			continue
		}
		sb.WriteString(b.Text[prev:sp[0]])
		total += sp[1] - sp[0]
		kept = append(kept, sp)
		removed = append(removed, total)
		prev = sp[1]
	}
	sb.WriteString(b.Text[prev:])
	// shift maps an offset of the old text to the new one.
	shift := func(off int) int {
		// The last span ending at or before off.
		k := sort.Search(len(kept), func(i int) bool { return kept[i][1] > off }) - 1
		if k < 0 {
			return off
		}
		return off - removed[k]
	}
	inside := func(a Anchor) bool {
		// The first span ending after the anchor's start.
		k := sort.Search(len(kept), func(i int) bool { return kept[i][1] > a.Start })
		if k == len(kept) {
			return false
		}
		sp := kept[k]
		return a.Start < sp[1] && a.End > sp[0] || a.Start == a.End && a.Start >= sp[0]
	}
	var links []Anchor
	for _, a := range b.Links {
		if !inside(a) {
			a.Start, a.End = shift(a.Start), shift(a.End)
			links = append(links, a)
		}
	}
	text := sb.String()
	// Tidy the seam at the end: no trailing space.
	trimmed := strings.TrimRightFunc(text, isSpaceRune)
	for i := range links {
		links[i].Start = min(max(links[i].Start, 0), len(trimmed))
		links[i].End = min(max(links[i].End, links[i].Start), len(trimmed))
	}
	b.Text, b.Links = trimmed, links
}
