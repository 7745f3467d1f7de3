package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/console"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// queryCommand is a CLI command answered from the stored episodes: as the console
// would answer it, or as stable JSON (documented in the README). Both forms resolve
// the arguments the same way, so they always talk about the same episodes.
type queryCommand struct {
	json func(ctx context.Context, a *app, c cli) (any, error)
	// text, when set, answers without the command router (the CLI's form of the
	// command differs from the chat one).
	text func(ctx context.Context, a *app, c cli) (string, error)
}

var queries = map[string]queryCommand{
	"episode":   {json: episodeQuery(func(ep feeds.Episode) any { return toEpisodeJSON(ep) })},
	"takeaways": {json: episodeQuery(func(ep feeds.Episode) any { return toTakeawaysJSON(ep) })},
	"chapters":  {json: episodeQuery(func(ep feeds.Episode) any { return toChaptersJSON(ep) })},
	"links":     {json: episodeQuery(func(ep feeds.Episode) any { return toLinksJSON(ep) })},
	"latest":    {json: latestQuery},
	"search":    {json: searchQuery, text: searchText},
	"digest":    {json: digestQuery, text: digestText},
	"random":    {json: randomQuery},
}

// checkArgs refuses arguments a command cannot take, the same way in text and JSON.
func checkArgs(c cli) error {
	switch c.command {
	case "search":
		q := strings.TrimSpace(strings.Join(c.args, " "))
		if q == "" {
			return usageError{"search needs words to look for, like `search bgp`"}
		}
		if n := utf8.RuneCountInString(q); n > commands.MaxQuery {
			return usageError{fmt.Sprintf("that search is too long (%d characters; the limit is %d)", n, commands.MaxQuery)}
		}
	case "episode", "takeaways", "chapters", "links":
		if len(c.args) > 1 && !slices.ContainsFunc(c.args, func(a string) bool { return !commands.IsNumber(a) }) {
			return usageError{fmt.Sprintf("%s takes one episode; %q names several", c.command, clip(strings.Join(c.args, " "), 40))}
		}
	case "latest":
		if len(c.args) == 1 {
			if _, _, err := latestCount(c.args[0]); err != nil {
				return err
			}
		}
	case "preview":
		return checkPreview(c)
	case "digest":
		if c.since != "" {
			if _, err := parseSince(c.since); err != nil {
				return err
			}
		}
	}
	return nil
}

// latestCount reads `latest`'s argument as chat does (commands.LatestCount).
func latestCount(arg string) (n int, capped bool, err error) {
	n, capped, ok := commands.LatestCount(arg)
	if !ok {
		return 0, false, usageError{fmt.Sprintf("latest takes a number of episodes, like `latest 3`; %q is not one", clip(arg, 20))}
	}
	return n, capped, nil
}

// openQuery opens the app for a command that answers from the stored episodes
// (read-only when it can be), once every feed was read.
func openQuery(ctx context.Context, c cli, stderr io.Writer, env []string) (*app, error) {
	a, err := openApp(ctx, c, io.Discard, stderr, env, needs{search: true, quiet: true, readOnly: true})
	if err != nil {
		return nil, err
	}
	if err := a.ensureLoaded(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// runQuery opens the app, makes sure its feeds were read, and answers the command.
func runQuery(ctx context.Context, c cli, _ io.Reader, stdout, stderr io.Writer, env []string) error {
	q := queries[c.command]
	a, err := openQuery(ctx, c, stderr, env)
	if err != nil {
		return err
	}
	defer a.Close()
	if c.json {
		v, err := q.json(ctx, a, c)
		var empty emptyResult
		if err != nil && !errors.As(err, &empty) {
			return err
		}
		// An empty answer is still valid JSON for a script; the exit code says it
		// is empty.
		if werr := writeJSON(stdout, v); werr != nil {
			return werr
		}
		return err
	}
	if q.text != nil {
		out, err := q.text(ctx, a, c)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, out)
		return err
	}
	rep, err := a.router.Dispatch(ctx, commands.Request{Name: c.command, Args: c.args, Platform: console.Platform, ChannelID: console.Channel, ChannelLanguage: a.cfg.Language})
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, renderReply(rep))
	return err
}

func renderReply(rep commands.Reply) string {
	var b strings.Builder
	console.RenderReply(&b, rep)
	return b.String()
}

func episodeQuery(toJSON func(feeds.Episode) any) func(context.Context, *app, cli) (any, error) {
	return func(ctx context.Context, a *app, c cli) (any, error) {
		ep, err := commands.FindEpisode(ctx, a.catalog(), a.searcher, c.args)
		if err != nil {
			return nil, err
		}
		return toJSON(ep), nil
	}
}

func latestQuery(ctx context.Context, a *app, c cli) (any, error) {
	n := 1
	if len(c.args) > 0 {
		var capped bool
		n, capped, _ = latestCount(c.args[0]) // checked by checkArgs
		if capped {
			a.notef("latest shows at most %d episodes", commands.MaxLatest)
		}
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
	ep, err := commands.RandomEpisode(ctx, a.catalog(), rand.IntN)
	if err != nil {
		return nil, err
	}
	return toEpisodeJSON(ep), nil
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

// parseSince reads --since: a date or an RFC 3339 time, after 1970 (the store
// keeps times as Unix seconds, where 0 means "no date").
func parseSince(v string) (time.Time, error) {
	since, err := time.Parse(time.DateOnly, v)
	if err != nil {
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, usageError{fmt.Sprintf("--since %q: give a date like 2026-11-01 or a time like 2026-11-01T09:00:00Z", clip(v, 40))}
		}
	}
	if since.Unix() <= 0 {
		return time.Time{}, usageError{fmt.Sprintf("--since %s is before 1970; give a date when the podcast existed", clip(v, 40))}
	}
	return since, nil
}

// composeDigest composes the CLI's digest of the first feed: since --since (default
// a week ago) until now.
func composeDigest(ctx context.Context, a *app, c cli) (bot.Composition, error) {
	var since time.Time
	if c.since != "" {
		var err error
		if since, err = parseSince(c.since); err != nil {
			return bot.Composition{}, err
		}
		if now := a.now(); since.After(now) {
			return bot.Composition{}, usageError{fmt.Sprintf("--since %s is in the future; give a date before now (%s)", clip(c.since, 40), now.UTC().Format(time.DateOnly))}
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
	if comp.Kind == "" {
		return out, emptyResult{"no episodes to put in a digest"}
	}
	return out, nil
}

func digestText(ctx context.Context, a *app, c cli) (string, error) {
	comp, err := composeDigest(ctx, a, c)
	if err != nil {
		return "", err
	}
	if comp.Kind == "" {
		return "", emptyResult{"no episodes to put in a digest"}
	}
	title, err := a.db.FeedTitle(ctx, comp.Episodes[0].FeedID)
	if err != nil {
		return "", err
	}
	eps := make([]feeds.Episode, len(comp.Episodes))
	for i, e := range comp.Episodes {
		eps[i] = e.Episode
	}
	var b strings.Builder
	console.RenderMessage(&b, bot.ComposeMessage(comp.MessageKind(), title, a.cfg.Language, a.router.Prefix, eps))
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

// searchHits is the one search both forms answer from: --limit results at most.
func searchHits(ctx context.Context, a *app, c cli) (string, []commands.Hit, error) {
	q := strings.TrimSpace(strings.Join(c.args, " "))
	hits, err := a.searcher.Search(ctx, q, c.limit)
	if err != nil {
		return q, nil, err
	}
	if len(hits) == 0 {
		return q, nil, emptyResult{fmt.Sprintf("no episode matches %q", clip(q, 60))}
	}
	return q, hits, nil
}

func searchQuery(ctx context.Context, a *app, c cli) (any, error) {
	_, hits, err := searchHits(ctx, a, c)
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
	return out, err
}

func searchText(ctx context.Context, a *app, c cli) (string, error) {
	q, hits, err := searchHits(ctx, a, c)
	if err != nil {
		return "", err
	}
	lang := a.cfg.Language
	header := a.router.Messages().Sprintf(lang, "Results for %q", clip(q, 60))
	return renderReply(commands.Reply{Language: lang, Header: header, Hits: hits}), nil
}
