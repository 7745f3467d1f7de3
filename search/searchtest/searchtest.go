// Package searchtest is the corpus that search benchmarks and relevance checks
// share: documents made from the repository's real feeds, grown to a large
// catalogue, and realistic queries by kind.
package searchtest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

// Entry is one episode of the corpus: its id (its position plus one) and its
// feed (the copy of the real episodes it belongs to, from 1).
type Entry struct {
	ID, FeedID int64
	Episode    feeds.Episode
}

// Kinds are the kinds of Queries, in the order benchmarks report them.
var Kinds = []string{"plain", "typo", "prefix", "multiword", "number"}

// Queries are realistic queries over the corpus, by kind (Kinds).
var Queries = map[string][]string{
	"plain": {"bgp", "nintendo", "podcast", "sécurité", "incident", "nachrichten", "election",
		"music", "zelda", "vulnérabilités", "bitcoin", "algolia", "wrestling", "deutschland", "governo"},
	"typo": {"nintedo", "bombcats", "podcsat", "securty", "incidnet", "nachrichtne", "playstaton",
		"dragonblod", "vulnerabilites", "wrestlign", "bitcoim", "zeldda", "presidnet", "goverment", "microsfot"},
	"prefix": {"nint", "bomb", "pod", "secu", "inci", "nach", "play", "algo", "diff", "mon",
		"wres", "bitc", "presi", "gove", "micro"},
	"multiword": {"facebook bgp outage", "giant bomb nintendo", "data science business", "value for value podcast",
		"test A/B", "video games review", "l'anonymisation des données", "super mario", "xbox one price",
		"bundesregierung berlin", "ML Ops", "pub sub", "differential priv", "star wars", "game of the year"},
	"number": {"17", "#42", "episode 730", "ep 12", "123", "#9999", "episode 5000", "2021", "n°300", "ep42"},
}

// realEpisodes returns every episode of the repository's real feeds and of the Post
// Mortem feed: English, French, German and Portuguese text from real hosts.
func realEpisodes(tb testing.TB) []feeds.Episode {
	tb.Helper()
	paths, err := filepath.Glob(feedstest.Path("feeds/*"))
	if err != nil {
		tb.Fatal(err)
	}
	paths = append(paths, feedstest.Path("postmortem/feed.xml"))
	var out []feeds.Episode
	for _, p := range paths {
		if strings.HasSuffix(p, ".md") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		f, err := feeds.ParseBytes(data, feeds.ParseOptions{})
		if err != nil {
			tb.Logf("skip %s: %v", filepath.Base(p), err)
			continue
		}
		out = append(out, f.Episodes...)
	}
	return out
}

// guests give each replicated episode names of its own, as a real catalogue has:
// new names are where a catalogue's vocabulary grows.
var (
	firstNames = []string{"Amélie", "Bruno", "Chloé", "Dmitri", "Elodie", "Farid", "Greta", "Hugo", "Inès", "Jonas", "Kenji", "Léa", "Malik", "Noémie", "Oscar", "Priya"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Schmidt", "Kowalski", "Nakamura", "Okafor", "Silva", "Haddad", "Novak", "Larsen", "Rossi"}
)

// Corpus returns n episodes made from the real episodes: the first copy of each is
// the episode itself; later copies keep its title and notes, add sentences of another
// episode, a guest and a number, so that terms and lengths stay those of real show
// notes while documents differ.
func Corpus(tb testing.TB, n int) []Entry {
	tb.Helper()
	real := realEpisodes(tb)
	docs := make([]Entry, 0, n)
	for i := 0; len(docs) < n; i++ {
		ep := real[i%len(real)]
		k := i / len(real)
		if k > 0 {
			other := real[(i*7+k*13)%len(real)]
			guest := fmt.Sprintf("%s %s%d", firstNames[(i+k)%len(firstNames)], lastNames[(i/3+k)%len(lastNames)], k)
			ep.Title = fmt.Sprintf("%s (%s)", ep.Title, guest)
			ep.NotesText = ep.NotesText + "\n\n" + firstSentences(other.NotesText, 2) + " Avec " + guest + "."
			ep.Notes.Takeaways = append(ep.Notes.Takeaways[:len(ep.Notes.Takeaways):len(ep.Notes.Takeaways)], firstSentences(other.NotesText, 1))
		}
		ep.Number = i + 1
		docs = append(docs, Entry{ID: int64(i + 1), FeedID: int64(k + 1), Episode: ep})
	}
	return docs
}

// firstSentences returns up to n sentences from the start of s.
func firstSentences(s string, n int) string {
	end := 0
	for range n {
		i := strings.IndexAny(s[end:], ".!?")
		if i < 0 {
			return s
		}
		end += i + 1
	}
	return s[:end]
}

// BenchQueries runs the queries of a kind in turn, one per iteration of b,
// through search, and reports the median and 99th percentile time per query.
func BenchQueries(b *testing.B, kind string, search func(q string)) {
	b.Helper()
	queries := Queries[kind]
	var times []time.Duration
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		search(q)
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// JudgmentFiles are the relevance judgments over the Post Mortem feed.
var JudgmentFiles = []string{"search-judgments.tsv", "search-judgments-extra.tsv"}

// Judgment is one line of a judgments file: a query and the numbers of the
// episodes that answer it.
type Judgment struct {
	Query    string
	Relevant []int
}

// Judgments reads a judgments file of the repository's testdata.
func Judgments(tb testing.TB, name string) []Judgment {
	tb.Helper()
	f, err := os.Open(feedstest.Path(name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Judgment
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// Comments start with "# "; "#17" is a query.
		if line == "#" || strings.HasPrefix(line, "# ") || strings.TrimSpace(line) == "" {
			continue
		}
		q, nums, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("%s: bad line %q", name, line)
		}
		j := Judgment{Query: q}
		for _, n := range strings.Split(nums, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				tb.Fatalf("%s: bad line %q", name, line)
			}
			j.Relevant = append(j.Relevant, v)
		}
		out = append(out, j)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// MRR is the mean over a judgments file's queries of 1/rank of the first
// relevant episode in the top 10 that search returns (episode numbers, best
// first), 0 when none is there; it logs every query's rank.
func MRR(tb testing.TB, name string, search func(q string) []int) float64 {
	tb.Helper()
	js := Judgments(tb, name)
	var sum float64
	for _, j := range js {
		got := search(j.Query)
		rank := 0
		for i, n := range got[:min(len(got), 10)] {
			if rank == 0 && slices.Contains(j.Relevant, n) {
				rank = i + 1
			}
		}
		if rank > 0 {
			sum += 1 / float64(rank)
		}
		tb.Logf("%-28q rank %d (want %v, got %v)", j.Query, rank, j.Relevant, got)
	}
	return sum / float64(len(js))
}
