package commands

import (
	"context"
	"errors"
	"fmt"
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

// maxLatest caps "latest n" so a reply stays readable and within platform limits.
const maxLatest = 10

// EpisodeCommands returns the episode commands over a catalog.
func EpisodeCommands(cat Catalog) []Command {
	return []Command{
		{
			Name:        "latest",
			Aliases:     []string{"last", "new"},
			Usage:       "latest [n]",
			Description: "Show the newest episode, or the n newest.",
			Examples:    []string{"latest", "latest 3"},
			Handler:     func(ctx context.Context, req Request) (Reply, error) { return latest(ctx, cat, req) },
		},
		{
			Name:        "episode",
			Aliases:     []string{"ep", "show"},
			Usage:       "episode <n|latest|words>",
			Description: "Show one episode: summary, takeaways, links.",
			Examples:    []string{"episode 17", "episode latest", "episode dragonblood"},
			Handler:     func(ctx context.Context, req Request) (Reply, error) { return episode(ctx, cat, req) },
		},
		{
			Name:        "takeaways",
			Aliases:     []string{"takeaway", "keypoints", "pointscles"},
			Usage:       "takeaways <n|latest>",
			Description: "The key takeaways of an episode.",
			Examples:    []string{"takeaways 3", "takeaways latest"},
			Handler:     func(ctx context.Context, req Request) (Reply, error) { return takeaways(ctx, cat, req) },
		},
	}
}

func latest(ctx context.Context, cat Catalog, req Request) (Reply, error) {
	n := 1
	if len(req.Args) > 0 {
		v, err := strconv.Atoi(strings.TrimPrefix(req.Args[0], "#"))
		if err != nil || v < 1 {
			return Reply{}, Errorf("`latest` takes a number of episodes, like `latest 3`; %q is not one", clip(req.Args[0], 20))
		}
		n = min(v, maxLatest)
	}
	eps, err := cat.Latest(ctx, n)
	if err != nil {
		return Reply{}, err
	}
	if len(eps) == 0 {
		return Reply{}, Errorf("no episodes yet: the feed has not been read, or is empty")
	}
	if len(eps) == 1 {
		return Reply{Header: "Latest episode", Episodes: eps, Detail: true, Private: true}, nil
	}
	return Reply{Header: fmt.Sprintf("Latest %d episodes", len(eps)), Episodes: eps, Private: true}, nil
}

func episode(ctx context.Context, cat Catalog, req Request) (Reply, error) {
	ep, err := Find(ctx, cat, req.Args)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Episodes: []feeds.Episode{ep}, Detail: true, Private: true}, nil
}

func takeaways(ctx context.Context, cat Catalog, req Request) (Reply, error) {
	ep, err := Find(ctx, cat, req.Args)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: "Key takeaways: " + Label(ep), Private: true}
	if len(ep.Notes.Takeaways) == 0 {
		rep.Text = "This episode's show notes have no takeaways."
		return rep, nil
	}
	rep.Bullets = ep.Notes.Takeaways
	if ep.Notes.TakeawaysSource == feeds.TakeawaysSummary {
		rep.Text = "The notes have no takeaways section; here is their summary."
	}
	return rep, nil
}

// Label is how an episode is named in one line: "#17 Incident BGP…", or the title.
func Label(ep feeds.Episode) string {
	if ep.Number > 0 {
		return fmt.Sprintf("#%d %s", ep.Number, ep.Title)
	}
	return ep.Title
}

// Find resolves command arguments to one episode: a number ("17", "#17"),
// "latest", or words of the title.
func Find(ctx context.Context, cat Catalog, args []string) (feeds.Episode, error) {
	if len(args) == 0 {
		return feeds.Episode{}, Errorf("which episode? Give a number, `latest`, or words of its title")
	}
	q := strings.Join(args, " ")
	if strings.EqualFold(q, "latest") || strings.EqualFold(q, "last") {
		eps, err := cat.Latest(ctx, 1)
		if err != nil {
			return feeds.Episode{}, err
		}
		if len(eps) == 0 {
			return feeds.Episode{}, Errorf("no episodes yet")
		}
		return eps[0], nil
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(q, "#")); err == nil {
		if n < 1 {
			// Episodes are numbered from 1; the store keeps unnumbered ones (a
			// trailer) as 0, which "episode 0" must not pick out.
			return feeds.Episode{}, noEpisode(ctx, cat, n)
		}
		ep, err := cat.ByNumber(ctx, n)
		if errors.Is(err, ErrNoEpisode) {
			return feeds.Episode{}, noEpisode(ctx, cat, n)
		}
		return ep, err
	}
	all, err := cat.All(ctx)
	if err != nil {
		return feeds.Episode{}, err
	}
	words := strings.Fields(feeds.FoldTitle(q))
	for _, inTitleOnly := range []bool{true, false} {
		for _, ep := range all {
			text := feeds.FoldTitle(ep.Title)
			if !inTitleOnly {
				text += " " + feeds.FoldTitle(ep.NotesText)
			}
			if containsAll(text, words) {
				return ep, nil
			}
		}
	}
	return feeds.Episode{}, Errorf("no episode matches %q", clip(q, 60))
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

func noEpisode(ctx context.Context, cat Catalog, n int) error {
	eps, err := cat.Latest(ctx, maxLatest)
	if err == nil {
		for _, ep := range eps {
			if ep.Number > 0 {
				return Errorf("no episode %d; the latest is %d", n, ep.Number)
			}
		}
	}
	return Errorf("no episode %d", n)
}
