package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/shownotes"
)

// notesReport is what `pmbot notes-report` says about one feed: how its show notes
// were understood, so that a maintainer sees a regression of the extraction at a
// glance (issue 9). The JSON form is for scripts and BENCHMARKS.md.
type notesReport struct {
	Feed     string `json:"feed"`
	Title    string `json:"title"`
	Episodes int    `json:"episodes"`
	// WithNotes counts the episodes whose notes are not empty.
	WithNotes int               `json:"with_notes"`
	Takeaways takeawaysBySource `json:"takeaways"`
	Chapters  chaptersReport    `json:"chapters"`
	Links     linksReport       `json:"links"`
}

// takeawaysBySource counts episodes by where their takeaways came from.
type takeawaysBySource struct {
	Section int `json:"section"`
	List    int `json:"list"`
	Summary int `json:"summary"`
	None    int `json:"none"`
}

type chaptersReport struct {
	// Episodes counts the episodes with chapters from their notes.
	Episodes int `json:"episodes"`
	// BySource splits them by the rule that found them, as far as the notes say
	// (today's Notes does not: everything is "notes").
	BySource map[string]int `json:"by_source"`
	// PodcastChapters counts the episodes that name a podcast:chapters file. The
	// report does not fetch it (the bot's poller does).
	PodcastChapters int `json:"podcast_chapters"`
	// BeyondEnd counts chapters that start after the episode's end, when the
	// feed gives a duration.
	BeyondEnd int `json:"beyond_end"`
	// Untitled counts chapters without a title.
	Untitled int `json:"untitled"`
}

// linksReport counts the links of every episode and what looks wrong with them.
type linksReport struct {
	Total int `json:"total"`
	// Episodes counts the episodes with at least one link.
	Episodes int `json:"episodes"`
	// Tracking: a tracking parameter left in the URL (utm_*, fbclid, Amazon ref…).
	Tracking int `json:"tracking"`
	// Duplicate: the same URL again in the same episode, once normalised.
	Duplicate int `json:"duplicate"`
	// URLText: the text is a raw URL; NoText: it is empty; SentenceText: it is a
	// whole sentence (more than 12 words).
	URLText      int `json:"url_text"`
	NoText       int `json:"no_text"`
	SentenceText int `json:"sentence_text"`
	// Footer: links the extraction marked as the podcast's own (subscribe,
	// social, its site), kept apart from the episode's references.
	Footer int `json:"footer"`
	// FooterLike: a link not marked Footer whose URL comes back in at least
	// half the episodes of a feed of four or more: the podcast's own footer or
	// promo left among the references.
	FooterLike int `json:"footer_like"`
}

// cmdNotesReport reads each feed given (path, file:// or http(s) URL) and prints
// how its show notes were understood. A feed that cannot be read is reported on
// stderr and makes the exit code 1; the others are still printed.
func cmdNotesReport(ctx context.Context, c cli, _ io.Reader, stdout, _ io.Writer, _ []string) error {
	fetcher := feeds.NewFetcher(feeds.FetcherOptions{})
	var reports []notesReport
	var failed []string
	for _, loc := range append(append([]string(nil), c.args...), c.feeds...) {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := fetcher.Fetch(ctx, feeds.FetchState{URL: loc})
		var feed *feeds.Feed
		if err == nil {
			feed, err = feeds.ParseBytes(res.Body, feeds.ParseOptions{})
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %s", feeds.RedactURL(loc), bot.UserMessage(err)))
			continue
		}
		reports = append(reports, reportNotes(feeds.RedactURL(loc), feed))
	}
	var err error
	if c.json {
		err = writeJSON(stdout, nonNil(reports))
	} else if len(reports) > 0 {
		err = writeNotesTable(stdout, reports)
	}
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// reportNotes counts what the extraction made of feed's notes.
func reportNotes(name string, feed *feeds.Feed) notesReport {
	r := notesReport{Feed: name, Title: feed.Title, Episodes: len(feed.Episodes)}
	r.Chapters.BySource = make(map[string]int)
	// A URL in at least half the episodes of a feed of four or more is the
	// podcast's own, not a reference of one episode.
	perURL := make(map[string]int)
	for _, ep := range feed.Episodes {
		seen := make(map[string]bool)
		for _, l := range ep.Notes.Links {
			k := notesNormURL(l.URL)
			if !seen[k] {
				seen[k] = true
				perURL[k]++
			}
		}
	}
	footerLike := func(k string) bool {
		return len(feed.Episodes) >= 4 && 2*perURL[k] >= len(feed.Episodes)
	}
	for _, ep := range feed.Episodes {
		n := ep.Notes
		if strings.TrimSpace(ep.NotesHTML) != "" {
			r.WithNotes++
		}
		switch n.TakeawaysSource {
		case feeds.TakeawaysSection:
			r.Takeaways.Section++
		case feeds.TakeawaysList:
			r.Takeaways.List++
		case feeds.TakeawaysSummary:
			r.Takeaways.Summary++
		default:
			r.Takeaways.None++
		}
		if ep.ChaptersURL != "" {
			r.Chapters.PodcastChapters++
		}
		if len(n.Chapters) > 0 {
			r.Chapters.Episodes++
			r.Chapters.BySource[chaptersSource(n)]++
		}
		for _, ch := range n.Chapters {
			if ep.DurationSeconds > 0 && ch.StartSeconds >= ep.DurationSeconds {
				r.Chapters.BeyondEnd++
			}
			if strings.TrimSpace(ch.Title) == "" {
				r.Chapters.Untitled++
			}
		}
		if len(n.Links) > 0 {
			r.Links.Episodes++
		}
		seen := make(map[string]bool)
		for _, l := range n.Links {
			r.Links.Total++
			k := notesNormURL(l.URL)
			if notesHasTracking(l.URL) {
				r.Links.Tracking++
			}
			if seen[k] {
				r.Links.Duplicate++
			}
			seen[k] = true
			text := strings.TrimSpace(l.Text)
			switch {
			case text == "":
				r.Links.NoText++
			case strings.Contains(text, "://") || strings.HasPrefix(strings.ToLower(text), "www."):
				r.Links.URLText++
			case len(strings.Fields(text)) > 12:
				r.Links.SentenceText++
			}
			switch {
			case l.Footer:
				r.Links.Footer++
			case footerLike(k):
				r.Links.FooterLike++
			}
		}
	}
	return r
}

// chaptersSource names the rule that found an episode's chapters.
func chaptersSource(n feeds.Notes) string {
	if n.ChaptersSource == "" {
		return "notes"
	}
	return n.ChaptersSource
}

func writeNotesTable(w io.Writer, reports []notesReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "feed\tepisodes\twith notes\ttakeaways: section\tlist\tsummary\tnone\tchapters\tpodcast:chapters\tbeyond end\tuntitled\tlinks\ttracking\tduplicate\turl text\tno text\tsentence text\tfooter\tfooter-like\t")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			r.Feed, r.Episodes, r.WithNotes,
			r.Takeaways.Section, r.Takeaways.List, r.Takeaways.Summary, r.Takeaways.None,
			chaptersCell(r.Chapters), r.Chapters.PodcastChapters, r.Chapters.BeyondEnd, r.Chapters.Untitled,
			r.Links.Total, r.Links.Tracking, r.Links.Duplicate, r.Links.URLText, r.Links.NoText, r.Links.SentenceText, r.Links.Footer, r.Links.FooterLike)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\ntakeaways: episodes by where their takeaways came from. chapters: episodes with chapters from their notes,\n"+
		"by rule when the notes say which; podcast:chapters: episodes that name a chapters file (not fetched here).\n"+
		"links: every link of every episode; footer: marked as the podcast's own; footer-like: not marked, but its URL comes back in half the episodes or more.\n")
	return err
}

// chaptersCell is the chapters count, with the rules that found them when there
// is more than "notes" to say.
func chaptersCell(c chaptersReport) string {
	if len(c.BySource) == 0 || (len(c.BySource) == 1 && c.BySource["notes"] > 0) {
		return fmt.Sprint(c.Episodes)
	}
	var parts []string
	for src, n := range c.BySource {
		parts = append(parts, fmt.Sprintf("%s %d", src, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", c.Episodes, strings.Join(parts, ", "))
}

func notesHasTracking(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	for k := range u.Query() {
		if shownotes.IsTrackingParam(u.Host, k) {
			return true
		}
	}
	return false
}

// notesNormURL is the form in which two links are the same: scheme and host in
// lower case, no fragment, no tracking parameter, no trailing slash.
func notesNormURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	q := u.Query()
	for k := range q {
		if shownotes.IsTrackingParam(u.Host, k) {
			q.Del(k)
		}
	}
	out := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
	if len(q) > 0 {
		out += "?" + q.Encode()
	}
	return out
}
