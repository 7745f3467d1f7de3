package feeds

import (
	"github.com/pmbot/pmbot/shownotes"
)

// Show notes are understood by package shownotes; these names keep the feeds API
// that the rest of the bot uses.

// Notes is what the show notes say beyond their text: the key takeaways, the
// chapters, the links and a short summary.
type Notes = shownotes.Notes

// Chapter is a point in the episode with its title.
type Chapter = shownotes.Chapter

// Link is a link from the show notes with the section it appears in.
type Link = shownotes.Link

// Where takeaways come from, best source first.
const (
	TakeawaysSection = shownotes.TakeawaysSection // items under a "Points clés"/"Key takeaways" heading
	TakeawaysList    = shownotes.TakeawaysList    // a list the notes introduce ("en particulier :")
	TakeawaysSummary = shownotes.TakeawaysSummary // the notes' first statements, when nothing better exists
)

// ExtractNotes understands show notes given as HTML or plain text: the key
// takeaways (and where they came from), the chapters given as timestamps, the
// links with the section they appear in, and a short summary. It never panics and
// its work is bounded whatever the input. Episode.ReadNotes also gives the
// rules what the feed says beside the notes (title, duration, chapters).
func ExtractNotes(notes string) Notes {
	return shownotes.Extract(notes, shownotes.Options{})
}

// NotesText turns HTML show notes into readable plain text: block elements become
// paragraph breaks, list items and <br> become line breaks, entities are decoded
// and whitespace is collapsed inside lines. Plain-text notes come back trimmed.
func NotesText(notes string) string {
	return shownotes.Text(notes)
}
