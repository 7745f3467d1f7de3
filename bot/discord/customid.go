package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

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
	kind, _, _ = strings.Cut(kind, keyMark) // a delivery's key rides along
	if !found || (kind != ActionCommand && kind != ActionShare) {
		return "", "", false
	}
	line = strings.TrimSpace(line)
	if line == "" || len(line) > commands.MaxText {
		return "", "", false
	}
	return kind, line, true
}

// keyMark introduces a delivery's key in a custom_id: "pmbot:cmd@pmbot-d42:…".
// Message history returns components, not nonces: the key in a button is how a
// post is found again after a crash.
const keyMark = "@"

// keyed returns p with the delivery's key in a button's custom_id: the first
// command button whose id still fits with it, else a "More" button (the
// latest episodes) added for the purpose.
func keyed(p Payload, key, lang string) Payload {
	rows := make([]discordgo.MessageComponent, 0, len(p.Components)+1)
	done := false
	for _, c := range p.Components {
		row, ok := c.(discordgo.ActionsRow)
		if !ok {
			rows = append(rows, c)
			continue
		}
		btns := make([]discordgo.MessageComponent, len(row.Components))
		copy(btns, row.Components)
		for i, bc := range btns {
			if btn, ok := bc.(discordgo.Button); ok && !done && btn.Style != discordgo.LinkButton {
				if id, ok := withKey(btn.CustomID, key); ok {
					btn.CustomID = id
					btns[i] = btn
					done = true
				}
			}
		}
		rows = append(rows, discordgo.ActionsRow{Components: btns})
	}
	if !done {
		id, _ := withKey(CustomIDCommand+"latest", key)
		label, _ := clipPlain(newBuilder(lang).S(commands.MsgMore), MaxButtonLabel)
		btn := discordgo.Button{Label: label, Style: discordgo.SecondaryButton, CustomID: id}
		switch last := len(rows) - 1; {
		case last >= 0 && len(rows[last].(discordgo.ActionsRow).Components) < MaxRowButtons:
			row := rows[last].(discordgo.ActionsRow)
			row.Components = append(row.Components, btn)
			rows[last] = row
		case len(rows) < MaxActionRows:
			rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{btn}})
		default:
			// Every place taken (by links): the key matters more than the
			// last link.
			row := rows[last].(discordgo.ActionsRow)
			row.Components[len(row.Components)-1] = btn
		}
	}
	p.Components = rows
	return p
}

// withKey puts key into a custom_id we wrote, if it still fits.
func withKey(id, key string) (string, bool) {
	rest, ok := strings.CutPrefix(id, CustomIDPrefix)
	if !ok {
		return "", false
	}
	kind, line, ok := strings.Cut(rest, ":")
	if !ok || strings.Contains(kind, keyMark) {
		return "", false
	}
	out := CustomIDPrefix + kind + keyMark + key + ":" + line
	return out, chattext.Width(out) <= MaxCustomID
}

// keyIn is the delivery key a custom_id carries, or "".
func keyIn(id string) string {
	rest, found := strings.CutPrefix(id, CustomIDPrefix)
	if !found {
		return ""
	}
	kind, _, _ := strings.Cut(rest, ":")
	_, key, _ := strings.Cut(kind, keyMark)
	return key
}
