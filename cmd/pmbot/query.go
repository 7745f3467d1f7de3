package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/console"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// queryCommand is a CLI command answered from the stored episodes: as the console
// would answer it, or as stable JSON (documented in the README).
type queryCommand struct {
	// needs is the usage hint shown when the command gets no argument; "" when
	// arguments are optional.
	needs string
	json  func(ctx context.Context, a *app, c cli) (any, error)
	// text, when set, answers without the command router (the CLI's form of the
	// command differs from the chat one).
	text func(ctx context.Context, a *app, c cli) (string, error)
}

var queries = map[string]queryCommand{
	"episode":   {needs: "an episode: a number, `latest`, or words of its title", json: episodeQuery(func(ep feeds.Episode) any { return toEpisodeJSON(ep) })},
	"takeaways": {needs: "an episode: a number or `latest`", json: episodeQuery(func(ep feeds.Episode) any { return toTakeawaysJSON(ep) })},
	"chapters":  {needs: "an episode: a number or `latest`", json: episodeQuery(func(ep feeds.Episode) any { return toChaptersJSON(ep) })},
	"links":     {needs: "an episode: a number or `latest`", json: episodeQuery(func(ep feeds.Episode) any { return toLinksJSON(ep) })},
	"latest":    {json: latestQuery},
	"search":    {needs: "words to look for, like `search bgp`", json: searchQuery},
	"digest":    {json: digestQuery, text: digestText},
	"random":    {json: randomQuery},
}

// runQuery opens the app, makes sure its feeds were read, and answers the command.
func runQuery(ctx context.Context, c cli, _ io.Reader, stdout, stderr io.Writer, env []string) error {
	q := queries[c.command]
	if q.needs != "" && len(c.args) == 0 {
		return usageError{fmt.Sprintf("%s needs %s", c.command, q.needs)}
	}
	a, err := openApp(ctx, c, io.Discard, stderr, env, needs{search: true, quiet: true})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.ensureLoaded(ctx); err != nil {
		return err
	}
	if c.json {
		v, err := q.json(ctx, a, c)
		if err != nil {
			return err
		}
		return writeJSON(stdout, v)
	}
	if q.text != nil {
		out, err := q.text(ctx, a, c)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, out)
		return err
	}
	rep, err := a.router.Dispatch(ctx, commands.Request{Name: c.command, Args: c.args, Platform: console.Platform, ChannelID: console.Channel})
	if err != nil {
		return err
	}
	var b strings.Builder
	console.RenderReply(&b, rep)
	_, err = io.WriteString(stdout, b.String())
	return err
}

func episodeQuery(toJSON func(feeds.Episode) any) func(context.Context, *app, cli) (any, error) {
	return func(ctx context.Context, a *app, c cli) (any, error) {
		ep, err := commands.Find(ctx, a.catalog(), c.args)
		if err != nil {
			return nil, err
		}
		return toJSON(ep), nil
	}
}

func latestQuery(ctx context.Context, a *app, c cli) (any, error) {
	n := 1
	if len(c.args) > 0 {
		v, err := strconv.Atoi(strings.TrimPrefix(c.args[0], "#"))
		if err != nil || v < 1 {
			return nil, usageError{fmt.Sprintf("latest takes a number of episodes, like `latest 3`; %q is not one", c.args[0])}
		}
		n = v
	}
	eps, err := a.catalog().Latest(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]episodeJSON, len(eps))
	for i, ep := range eps {
		out[i] = toEpisodeJSON(ep)
	}
	return out, nil
}

func randomQuery(ctx context.Context, a *app, _ cli) (any, error) {
	eps, err := a.catalog().All(ctx)
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, commands.Errorf("no episodes yet")
	}
	return toEpisodeJSON(eps[rand.IntN(len(eps))]), nil
}

// episodeJSON is the stable JSON form of an episode.
type episodeJSON struct {
	Number          int             `json:"number"`
	GUID            string          `json:"guid"`
	Title           string          `json:"title"`
	Published       string          `json:"published"`
	DurationSeconds int             `json:"duration_seconds"`
	AudioURL        string          `json:"audio_url"`
	Link            string          `json:"link"`
	Image           string          `json:"image"`
	Summary         string          `json:"summary"`
	Takeaways       []string        `json:"takeaways"`
	Chapters        []feeds.Chapter `json:"chapters"`
	Links           []feeds.Link    `json:"links"`
}

func toEpisodeJSON(ep feeds.Episode) episodeJSON {
	return episodeJSON{
		Number: ep.Number, GUID: ep.GUID, Title: ep.Title, Published: published(ep), DurationSeconds: ep.DurationSeconds,
		AudioURL: ep.AudioURL, Link: ep.Link, Image: ep.Image, Summary: ep.Notes.Summary,
		Takeaways: nonNil(ep.Notes.Takeaways), Chapters: nonNil(ep.Notes.Chapters), Links: nonNil(ep.Notes.Links),
	}
}

// published is the episode's date in RFC 3339 UTC, or "" when the feed gave none.
func published(ep feeds.Episode) string {
	if ep.Published.IsZero() {
		return ""
	}
	return ep.Published.UTC().Format("2006-01-02T15:04:05Z07:00")
}

// nonNil keeps JSON arrays arrays: a consumer should never have to handle null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// takeawaysJSON is the stable JSON form of `takeaways --json`.
type takeawaysJSON struct {
	Number    int      `json:"number"`
	Title     string   `json:"title"`
	Takeaways []string `json:"takeaways"`
	// Source is "section", "list", "summary", or "" when the notes give nothing.
	Source string `json:"source"`
}

func toTakeawaysJSON(ep feeds.Episode) takeawaysJSON {
	return takeawaysJSON{Number: ep.Number, Title: ep.Title, Takeaways: nonNil(ep.Notes.Takeaways), Source: ep.Notes.TakeawaysSource}
}

// chaptersJSON is the stable JSON form of `chapters --json`.
type chaptersJSON struct {
	Number   int             `json:"number"`
	Title    string          `json:"title"`
	Chapters []feeds.Chapter `json:"chapters"`
}

func toChaptersJSON(ep feeds.Episode) chaptersJSON {
	return chaptersJSON{Number: ep.Number, Title: ep.Title, Chapters: nonNil(ep.Notes.Chapters)}
}

// linksJSON is the stable JSON form of `links --json`.
type linksJSON struct {
	Number int          `json:"number"`
	Title  string       `json:"title"`
	Links  []feeds.Link `json:"links"`
}

func toLinksJSON(ep feeds.Episode) linksJSON {
	return linksJSON{Number: ep.Number, Title: ep.Title, Links: nonNil(ep.Notes.Links)}
}

// digestJSON is the stable JSON form of `digest --json`.
type digestJSON struct {
	Since string `json:"since"`
	Until string `json:"until"`
	// Kind is "digest" (the period's episodes, oldest first), "digest-archive" (one
	// episode from the back catalogue: the period had none) or "" (no episode at all).
	Kind     string              `json:"kind"`
	Episodes []digestEpisodeJSON `json:"episodes"`
}

type digestEpisodeJSON struct {
	Number    int    `json:"number"`
	GUID      string `json:"guid"`
	Title     string `json:"title"`
	Published string `json:"published"`
	URL       string `json:"url"`
	// Takeaway is the episode's first takeaway, or "".
	Takeaway string `json:"takeaway"`
}

// composeDigest composes the CLI's digest of the first feed: since --since (a date or
// an RFC 3339 time; default a week ago) until now.
func composeDigest(ctx context.Context, a *app, c cli) (bot.Composition, error) {
	var since time.Time
	if c.since != "" {
		var err error
		if since, err = time.Parse(time.DateOnly, c.since); err != nil {
			if since, err = time.Parse(time.RFC3339, c.since); err != nil {
				return bot.Composition{}, usageError{fmt.Sprintf("--since %q: give a date like 2026-11-01 or a time like 2026-11-01T09:00:00Z", c.since)}
			}
		}
	}
	f, err := a.db.FeedByName(ctx, a.cfg.Feeds[0].Name)
	if err != nil {
		return bot.Composition{}, err
	}
	return a.digester.ForCLI(ctx, f.ID, since, time.Time{})
}

func digestQuery(ctx context.Context, a *app, c cli) (any, error) {
	comp, err := composeDigest(ctx, a, c)
	if err != nil {
		return nil, err
	}
	out := digestJSON{Since: comp.Since.UTC().Format(time.RFC3339), Until: comp.Until.UTC().Format(time.RFC3339), Kind: comp.Kind, Episodes: []digestEpisodeJSON{}}
	for _, e := range comp.Episodes {
		j := digestEpisodeJSON{Number: e.Number, GUID: e.GUID, Title: e.Title, Published: published(e.Episode), URL: episodeURL(e.Episode)}
		if len(e.Notes.Takeaways) > 0 {
			j.Takeaway = e.Notes.Takeaways[0]
		}
		out.Episodes = append(out.Episodes, j)
	}
	return out, nil
}

func digestText(ctx context.Context, a *app, c cli) (string, error) {
	comp, err := composeDigest(ctx, a, c)
	if err != nil {
		return "", err
	}
	if comp.Kind == "" {
		return "", commands.Errorf("no episodes to put in a digest")
	}
	title, err := a.db.FeedTitle(ctx, comp.Episodes[0].FeedID)
	if err != nil {
		return "", err
	}
	an := bot.Announcement{Kind: comp.Kind, FeedTitle: title, Language: a.cfg.Language}
	for _, e := range comp.Episodes {
		an.Episodes = append(an.Episodes, e.Episode)
	}
	var b strings.Builder
	console.RenderAnnouncement(&b, an)
	return b.String(), nil
}

// episodeURL is where a listener goes for an episode: its page, else its audio.
func episodeURL(ep feeds.Episode) string {
	if ep.Link != "" {
		return ep.Link
	}
	return ep.AudioURL
}

// searchJSON is one result of `search --json`.
type searchJSON struct {
	Number    int     `json:"number"`
	GUID      string  `json:"guid"`
	Title     string  `json:"title"`
	Published string  `json:"published"`
	URL       string  `json:"url"`
	Score     float64 `json:"score"`
	// Snippet is a short excerpt with the matched words between ** marks.
	Snippet string `json:"snippet"`
}

func searchQuery(ctx context.Context, a *app, c cli) (any, error) {
	if c.limit < 1 {
		return nil, usageError{fmt.Sprintf("--limit %d: give a number of results of 1 or more", c.limit)}
	}
	hits, err := a.searcher.Search(ctx, strings.Join(c.args, " "), c.limit)
	if err != nil {
		return nil, err
	}
	out := make([]searchJSON, 0, len(hits))
	for _, h := range hits {
		var snip strings.Builder
		for _, f := range h.Snippet {
			if f.Match {
				snip.WriteString("**" + f.Text + "**")
			} else {
				snip.WriteString(f.Text)
			}
		}
		out = append(out, searchJSON{
			Number: h.Episode.Number, GUID: h.Episode.GUID, Title: h.Episode.Title, Published: published(h.Episode),
			URL: episodeURL(h.Episode), Score: h.Score, Snippet: snip.String(),
		})
	}
	return out, nil
}
