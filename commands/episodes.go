package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pmbot/pmbot/feeds"
)

// ErrNoEpisode is what a Catalog returns for a number it does not have.
var ErrNoEpisode = errors.New("commands: no such episode")

// Catalog is the episodes a command can talk about.
type Catalog interface {
	// Latest returns the n newest episodes, newest first.
	Latest(ctx context.Context, n int) ([]feeds.Episode, error)
	// ByNumber returns episode n, or ErrNoEpisode.
	ByNumber(ctx context.Context, n int) (feeds.Episode, error)
	// All returns every episode, newest first.
	All(ctx context.Context) ([]feeds.Episode, error)
}

const (
	// MaxLatest caps "latest n" so a reply stays readable and within platform limits.
	MaxLatest = 10
	// maxHits is how many search results a reply shows: more is a wall of text in
	// a chat, and the best ones come first.
	maxHits = 5
	// MaxQuery caps a search in runes: no title or note is found by a paragraph.
	MaxQuery = 200
)

func (h *handlers) search(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	if len(req.Args) == 0 {
		return Reply{}, Errorf("what should I look for? Give some words, like `search bgp`; for the newest episodes, try `latest`")
	}
	q := strings.Join(req.Args, " ")
	if n := len([]rune(q)); n > MaxQuery {
		return Reply{}, Errorf("that search is too long (%d characters; the limit is %d)", n, MaxQuery)
	}
	var hits []Hit
	if h.deps.Search != nil {
		var err error
		if hits, err = h.deps.Search.Search(ctx, q, maxHits); err != nil {
			return Reply{}, err
		}
	} else {
		eps, err := scan(ctx, h.deps.Catalog, q, maxHits)
		if err != nil {
			return Reply{}, err
		}
		for _, ep := range eps {
			hits = append(hits, Hit{Episode: ep})
		}
	}
	if len(hits) == 0 {
		return Reply{}, noMatch(ctx, h.deps.Catalog, q)
	}
	return Reply{Header: t.S("Results for %q", clip(q, 60)), Hits: hits[:min(len(hits), maxHits)], Private: true, Shareable: true}, nil
}

func (h *handlers) latest(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	n := 1
	if len(req.Args) > 1 {
		return Reply{}, Errorf("`latest` takes one number, like `latest 3`")
	}
	capped := false
	if len(req.Args) == 1 {
		var ok bool
		if n, capped, ok = LatestCount(req.Args[0]); !ok {
			return Reply{}, Errorf("`latest` takes a number of episodes, like `latest 3`; %q is not one", clip(req.Args[0], 20))
		}
	}
	eps, err := h.deps.Catalog.Latest(ctx, n)
	if err != nil {
		return Reply{}, err
	}
	if len(eps) == 0 {
		return Reply{}, Errorf("no episodes yet: the feed has not been read, or is empty")
	}
	if len(eps) == 1 {
		return Reply{Header: t.S("Latest episode"), Episodes: eps, Detail: true, Private: true, Shareable: true}, nil
	}
	rep := Reply{Header: t.S("Latest %d episodes", len(eps)), Episodes: eps, Private: true, Shareable: true}
	if capped {
		rep.Text = t.S("At most %d episodes are shown.", MaxLatest)
	}
	return rep, nil
}

func (h *handlers) episode(ctx context.Context, req Request) (Reply, error) {
	ep, err := h.find(ctx, req.Args)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Episodes: []feeds.Episode{ep}, Detail: true, Private: true, Shareable: true, Command: shareCommand("episode", ep)}, nil
}

func (h *handlers) takeaways(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	ep, err := h.find(ctx, req.Args)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Key takeaways: %s", Label(ep)), Private: true, Shareable: true, Command: shareCommand("takeaways", ep)}
	if len(ep.Notes.Takeaways) == 0 {
		rep.Text = t.S("This episode's show notes have no takeaways.")
		return rep, nil
	}
	rep.Bullets = ep.Notes.Takeaways
	if ep.Notes.TakeawaysSource == feeds.TakeawaysSummary {
		rep.Text = t.S("The notes have no takeaways section; here is their summary.")
	}
	return rep, nil
}

func (h *handlers) chapters(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	ep, err := h.find(ctx, req.Args)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Chapters: %s", Label(ep)), Private: true, Shareable: true, Command: shareCommand("chapters", ep)}
	if len(ep.Notes.Chapters) == 0 {
		rep.Text = t.S("This episode's show notes list no chapters.")
		return rep, nil
	}
	for _, c := range ep.Notes.Chapters {
		rep.Bullets = append(rep.Bullets, Timestamp(c.StartSeconds)+" "+c.Title)
	}
	return rep, nil
}

func (h *handlers) links(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	ep, err := h.find(ctx, req.Args)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Links: %s", Label(ep)), Private: true, Shareable: true, Command: shareCommand("links", ep)}
	if len(ep.Notes.Links) == 0 {
		rep.Text = t.S("This episode's show notes have no links.")
		return rep, nil
	}
	// The episode's references first; the podcast's own links (subscribe,
	// social, its site) after them, under a section of their own.
	rep.Links = ep.Notes.References()
	for _, l := range ep.Notes.Links {
		if l.Footer {
			l.Section = t.S("The podcast's links")
			rep.Links = append(rep.Links, l)
		}
	}
	return rep, nil
}

func (h *handlers) random(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	if len(req.Args) > 0 {
		return Reply{}, Errorf("`random` takes no arguments; to find an episode, try `search %s`", clip(strings.Join(req.Args, " "), 40))
	}
	ep, err := RandomEpisode(ctx, h.deps.Catalog, h.deps.Rand)
	if err != nil {
		return Reply{}, err
	}
	// Sharing repeats this episode, not another draw.
	return Reply{Header: t.S("A random episode"), Episodes: []feeds.Episode{ep}, Detail: true, Private: true, Shareable: true, Command: shareCommand("episode", ep)}, nil
}

// RandomEpisode draws one episode, the way `random` does in every form: among the
// numbered episodes (a trailer is no answer to "surprise me"), else among all.
// rnd returns a number in [0, n).
func RandomEpisode(ctx context.Context, cat Catalog, rnd func(n int) int) (feeds.Episode, error) {
	all, err := cat.All(ctx)
	if err != nil {
		return feeds.Episode{}, err
	}
	pool := make([]feeds.Episode, 0, len(all))
	for _, ep := range all {
		if ep.Number > 0 {
			pool = append(pool, ep)
		}
	}
	if len(pool) == 0 {
		pool = all
	}
	if len(pool) == 0 {
		return feeds.Episode{}, Errorf("no episodes yet: the feed has not been read, or is empty")
	}
	i := rnd(len(pool))
	if i < 0 || i >= len(pool) {
		i = 0 // a broken rnd must not panic a command
	}
	return pool[i], nil
}

// LatestCount reads `latest`'s argument ("3", "#3"): how many episodes to show,
// at most MaxLatest, and whether more were asked for (a number too large to read
// counts as more); ok is false when arg is not a number of at least 1.
func LatestCount(arg string) (n int, capped, ok bool) {
	digits := strings.TrimPrefix(strings.TrimSpace(arg), "#")
	if !numeric(digits) || strings.HasPrefix(digits, "-") || strings.Trim(digits, "0") == "" {
		return 0, false, false
	}
	v, fits := number(digits)
	switch {
	case fits && v < 1:
		return 0, false, false
	case !fits || v > MaxLatest:
		return MaxLatest, true, true
	}
	return v, false, true
}

// shareCommand is the command (without the prefix, which Dispatch adds) that
// shows ep again, by number when it has one.
func shareCommand(name string, ep feeds.Episode) string {
	if ep.Number > 0 {
		return name + " " + strconv.Itoa(ep.Number)
	}
	return ""
}

// Label is how an episode is named in one line: "#17 Incident BGP…", or the title.
func Label(ep feeds.Episode) string {
	if ep.Number > 0 {
		return fmt.Sprintf("#%d %s", ep.Number, ep.Title)
	}
	return ep.Title
}

// number reads an episode number as users write it: "17" or "#17".
func number(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if s == "" || len(s) > 9 { // nine digits: no podcast has a billion episodes
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// numeric reports whether s looks like a number ("#123", "-4", "99999999999"),
// whether or not it fits one, so "episode 99999999999" says there is no such
// episode instead of searching titles for digits.
func numeric(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "#"), "-")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// find resolves arguments to one episode, as FindEpisode.
func (h *handlers) find(ctx context.Context, args []string) (feeds.Episode, error) {
	return FindEpisode(ctx, h.deps.Catalog, h.deps.Search, args)
}

// FindEpisode resolves command arguments to one episode, the one way every command
// and every output format does it: a number ("17", "#17"), "latest", or words,
// asked of the search index when there is one (it knows typos and stems), else
// matched against titles then notes (Find). search may be nil. Several numbers
// ("3 4") are refused rather than read as words.
func FindEpisode(ctx context.Context, cat Catalog, search Searcher, args []string) (feeds.Episode, error) {
	if len(args) > 1 && !slices.ContainsFunc(args, func(a string) bool { return !IsNumber(a) }) {
		return feeds.Episode{}, Errorf("give one episode number; %q names several", clip(strings.Join(args, " "), 40))
	}
	q := strings.Join(args, " ")
	if search == nil || len(args) == 0 || numeric(q) || isLatest(q) {
		return Find(ctx, cat, args)
	}
	if n := len([]rune(q)); n > MaxQuery {
		return feeds.Episode{}, Errorf("that search is too long (%d characters; the limit is %d)", n, MaxQuery)
	}
	hits, err := search.Search(ctx, q, 1)
	if err == nil && len(hits) > 0 {
		return hits[0].Episode, nil
	}
	// The index may be rebuilding or broken: the catalogue still answers.
	return Find(ctx, cat, args)
}

// IsNumber reports whether s is written as an episode number ("17", "#17", "-1"),
// whether or not such an episode exists.
func IsNumber(s string) bool { return numeric(strings.TrimSpace(s)) }

func isLatest(q string) bool {
	return strings.EqualFold(q, "latest") || strings.EqualFold(q, "last") || strings.EqualFold(q, "dernier")
}

// Find resolves command arguments to one episode: a number ("17", "#17"),
// "latest", or words of the title (then of the notes).
func Find(ctx context.Context, cat Catalog, args []string) (feeds.Episode, error) {
	if len(args) == 0 {
		return feeds.Episode{}, Errorf("which episode? Give a number, `latest`, or words of its title")
	}
	q := strings.Join(args, " ")
	if isLatest(q) {
		eps, err := cat.Latest(ctx, 1)
		if err != nil {
			return feeds.Episode{}, err
		}
		if len(eps) == 0 {
			return feeds.Episode{}, Errorf("no episodes yet")
		}
		return eps[0], nil
	}
	if numeric(q) {
		n, ok := number(q)
		if !ok || n < 1 {
			// Episodes are numbered from 1; the store keeps unnumbered ones (a
			// trailer) as 0, which "episode 0" must not pick out.
			return feeds.Episode{}, noEpisode(ctx, cat, strings.TrimPrefix(q, "#"))
		}
		ep, err := cat.ByNumber(ctx, n)
		if errors.Is(err, ErrNoEpisode) {
			return feeds.Episode{}, noEpisode(ctx, cat, strconv.Itoa(n))
		}
		return ep, err
	}
	if n := len([]rune(q)); n > MaxQuery {
		return feeds.Episode{}, Errorf("that search is too long (%d characters; the limit is %d)", n, MaxQuery)
	}
	eps, err := scan(ctx, cat, q, 1)
	if err != nil {
		return feeds.Episode{}, err
	}
	if len(eps) == 0 {
		return feeds.Episode{}, noMatch(ctx, cat, q)
	}
	return eps[0], nil
}

// noMatch is the answer to words no episode matches: why the feed has no
// episodes at all when it has none (not read yet, or failing), else that none
// matches.
func noMatch(ctx context.Context, cat Catalog, q string) error {
	if _, err := cat.Latest(ctx, 1); IsUserError(err) {
		return err
	}
	return Errorf("no episode matches %q", clip(q, 60))
}

// scan is the search without an index: episodes whose title has every word of q,
// then those whose notes have them, up to limit.
func scan(ctx context.Context, cat Catalog, q string, limit int) ([]feeds.Episode, error) {
	if n, ok := number(q); ok && n > 0 {
		ep, err := cat.ByNumber(ctx, n)
		if err == nil {
			return []feeds.Episode{ep}, nil
		}
		if !errors.Is(err, ErrNoEpisode) {
			return nil, err
		}
	}
	all, err := cat.All(ctx)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(feeds.FoldTitle(q))
	var out []feeds.Episode
	seen := make(map[int]bool)
	for _, inTitleOnly := range []bool{true, false} {
		for i, ep := range all {
			if seen[i] {
				continue
			}
			text := feeds.FoldTitle(ep.Title)
			if !inTitleOnly {
				text += " " + feeds.FoldTitle(ep.NotesText)
			}
			if containsAll(text, words) {
				out = append(out, ep)
				seen[i] = true
				if len(out) == limit {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

func containsAll(text string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// noEpisode says there is no episode n, and which is the latest, so the user knows
// what range to ask for.
func noEpisode(ctx context.Context, cat Catalog, n string) error {
	n = clip(n, 20)
	eps, err := cat.Latest(ctx, MaxLatest)
	if IsUserError(err) {
		// No episodes at all, and the catalogue says why (a feed that could not be
		// read): that is the answer, not "no episode 3".
		return err
	}
	if err == nil {
		for _, ep := range eps {
			if ep.Number > 0 {
				return Errorf("no episode %s; the latest is %d", n, ep.Number)
			}
		}
	}
	return Errorf("no episode %s", n)
}
