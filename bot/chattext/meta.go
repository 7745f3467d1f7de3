package chattext

import (
	"strconv"
	"strings"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// Meta is the plain line under an episode's title, in msgs' language lang:
// "28 April 2022 · 1h03 · #17", and its chapter count when chapters is set.
// It is not escaped.
func Meta(msgs *commands.Messages, lang string, ep feeds.Episode, chapters bool) string {
	parts := []string{msgs.Date(lang, ep.Published.UTC())}
	if ep.DurationSeconds > 0 {
		parts = append(parts, msgs.Duration(lang, ep.DurationSeconds))
	}
	if ep.Number > 0 {
		parts = append(parts, "#"+strconv.Itoa(ep.Number))
	}
	if n := len(ep.Notes.Chapters); chapters && n > 0 {
		parts = append(parts, msgs.Sprintf(lang, "Chapters: %s", strconv.Itoa(n)))
	}
	return strings.Join(parts, " · ")
}
