package discord

import (
	"strings"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
)

// Every non-link button we write has a custom_id of one of these forms, which
// the adapter routes with ParseCustomID:
//
//	pmbot:cmd:<command line>    run the command line for whoever clicks, privately
//	pmbot:share:<command line>  post the reply of the command line in the channel
//
// A command line that would make the custom_id longer than MaxCustomID gets no
// button: a cut command line would run another command.
const (
	CustomIDPrefix  = "pmbot:"
	CustomIDCommand = CustomIDPrefix + ActionCommand + ":"
	CustomIDShare   = CustomIDPrefix + ActionShare + ":"
)

// The kinds of action a custom_id names.
const (
	ActionCommand = "cmd"
	ActionShare   = "share"
)

// CommandCustomID is the custom_id of a button that runs line, and whether the
// line fits in one.
func CommandCustomID(line string) (string, bool) { return customID(CustomIDCommand, line) }

// ShareCustomID is the custom_id of the button that shares the reply of line
// in the channel, and whether the line fits in one.
func ShareCustomID(line string) (string, bool) { return customID(CustomIDShare, line) }

func customID(prefix, line string) (string, bool) {
	line = chattext.Line(line)
	if line == "" {
		return "", false
	}
	id := prefix + line
	if chattext.Width(id) > MaxCustomID {
		return "", false
	}
	return id, true
}

// ParseCustomID reads a custom_id we wrote: its kind (ActionCommand or
// ActionShare) and its command line. ok is false for any other id, or one whose
// command line is empty. The line is still a user's text: the adapter runs it
// through commands.Parse like anything typed.
func ParseCustomID(id string) (kind, line string, ok bool) {
	rest, found := strings.CutPrefix(id, CustomIDPrefix)
	if !found || len(id) > 4*MaxCustomID {
		return "", "", false
	}
	kind, line, found = strings.Cut(rest, ":")
	if !found || (kind != ActionCommand && kind != ActionShare) {
		return "", "", false
	}
	line = strings.TrimSpace(line)
	if line == "" || len(line) > commands.MaxText {
		return "", "", false
	}
	return kind, line, true
}
