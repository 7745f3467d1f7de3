// Package feeds is the podcast domain and its ingestion: what a feed and an episode
// are, how a feed is fetched and parsed, how show notes are understood, and how an
// episode is recognised again when its host rewrites it.
package feeds

import (
	"time"

	"github.com/pmbot/pmbot/shownotes"
)

// Episode types, from itunes:episodeType.
const (
	TypeFull    = "full"
	TypeTrailer = "trailer"
	TypeBonus   = "bonus"
)

// Feed is a parsed podcast feed: the channel and its episodes, newest first as the
// feed lists them.
type Feed struct {
	Title       string
	Author      string
	Description string
	Language    string
	Link        string
	Image       string
	// NewFeedURL is the channel's <itunes:new-feed-url>: the publisher says the feed
	// has moved there.
	NewFeedURL string
	Episodes   []Episode
}

// Episode is one item of a feed, normalised.
type Episode struct {
	GUID string
	// Number is the episode number (itunes:episode, else "#N" in the title); 0 when the
	// episode has none (a trailer, a bonus).
	Number int
	Season int
	// Type is TypeFull, TypeTrailer or TypeBonus.
	Type string
	// Title is the display title, without a leading "#N" number.
	Title string
	// RawTitle is the title as the feed gives it.
	RawTitle  string
	Published time.Time
	// DurationSeconds is 0 when the feed does not say.
	DurationSeconds int
	AudioURL        string
	AudioType       string
	AudioSize       int64
	Link            string
	// Image is the item's image, else the channel's.
	Image string
	// NotesHTML is the richest form of the notes the feed gives (content:encoded, else
	// description, else itunes:summary); it may be plain text for feeds without markup.
	NotesHTML string
	// NotesText is the notes as plain text.
	NotesText string
	Language  string
	// ChaptersURL is the item's podcast:chapters URL, when present.
	ChaptersURL string
	// PodloveChapters are the chapters the item declares inline (Podlove Simple
	// Chapters, <psc:chapters>), sorted by time; nil when it declares none. When
	// there are any, they are the episode's chapters.
	PodloveChapters []Chapter `json:",omitempty"`
	// Notes is what was understood from the show notes.
	Notes Notes
}

// ReadNotes fills NotesText and Notes from NotesHTML, with what the feed says
// beside the notes: the title (a summary that repeats it is none), the duration
// (no chapter starts after the end), the episode's page (links to its site are
// the podcast's own) and the Podlove chapters.
func (ep *Episode) ReadNotes() {
	ep.NotesText = NotesText(ep.NotesHTML)
	title := ep.Title
	if title == "" {
		title = cleanTitle(ep.RawTitle)
	}
	ep.Notes = shownotes.Extract(ep.NotesHTML, shownotes.Options{
		Title:           title,
		DurationSeconds: ep.DurationSeconds,
		Link:            ep.Link,
		Chapters:        ep.PodloveChapters,
	})
}
