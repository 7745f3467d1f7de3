package discord

import (
	"encoding/json"
	"regexp"
	"testing"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/commands"
)

// nameRe is Discord's rule for chat command and option names (contract B4).
var nameRe = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func checkName(t *testing.T, where, name string) {
	t.Helper()
	if !nameRe.MatchString(name) {
		t.Errorf("%s: name %q breaks Discord's rule", where, name)
	}
	for _, r := range name {
		if unicode.IsUpper(r) {
			t.Errorf("%s: name %q is not lower case", where, name)
		}
	}
}

func checkDescription(t *testing.T, where, d string) int {
	t.Helper()
	if n := len([]rune(d)); n < 1 || n > 100 {
		t.Errorf("%s: description of %d characters; Discord takes 1 to 100", where, n)
	}
	return len([]rune(d))
}

// longest is the longest of a text and its localizations: Discord counts it
// toward a command's 8000 characters.
func longest(s string, loc map[discordgo.Locale]string) int {
	n := len([]rune(s))
	for _, v := range loc {
		n = max(n, len([]rune(v)))
	}
	return n
}

// TestApplicationCommands: the registered commands follow every rule of contract
// B4, every table command is there once, and the commands that change
// subscriptions need Manage Channels.
func TestApplicationCommands(t *testing.T) {
	r := commands.New("/postmortem", commands.Deps{})
	cmds := ApplicationCommands(r)
	seen := map[string]bool{}
	for _, c := range cmds {
		checkName(t, c.Name, c.Name)
		total := longest(c.Name, deref(c.NameLocalizations)) + checkDescription(t, c.Name, c.Description)
		for _, d := range deref(c.DescriptionLocalizations) {
			checkDescription(t, c.Name+" (fr)", d)
		}
		if len(c.Options) > 25 {
			t.Errorf("%s: %d subcommands; at most 25", c.Name, len(c.Options))
		}
		for _, sub := range c.Options {
			where := c.Name + " " + sub.Name
			seen[sub.Name] = true
			checkName(t, where, sub.Name)
			for _, n := range sub.NameLocalizations {
				checkName(t, where+" (fr)", n)
			}
			total += longest(sub.Name, sub.NameLocalizations) + longest(sub.Description, sub.DescriptionLocalizations)
			checkDescription(t, where, sub.Description)
			for _, o := range sub.Options {
				checkName(t, where+" "+o.Name, o.Name)
				checkDescription(t, where+" "+o.Name, o.Description)
				if o.Autocomplete && len(o.Choices) > 0 {
					t.Errorf("%s %s: autocomplete with choices", where, o.Name)
				}
				if len(o.Choices) > 25 {
					t.Errorf("%s %s: %d choices; at most 25", where, o.Name, len(o.Choices))
				}
				total += longest(o.Name, o.NameLocalizations) + longest(o.Description, o.DescriptionLocalizations)
				for _, ch := range o.Choices {
					total += longest(ch.Name, ch.NameLocalizations) + len(ch.Value.(string))
				}
			}
		}
		if total > 8000 {
			t.Errorf("%s: %d characters in all; Discord takes 8000", c.Name, total)
		}
		manage := c.DefaultMemberPermissions != nil && *c.DefaultMemberPermissions == permManageChannels
		for _, sub := range c.Options {
			if r.Manages(sub.Name) != manage {
				t.Errorf("%s %s: Manage Channels required %v, want %v", c.Name, sub.Name, manage, r.Manages(sub.Name))
			}
		}
	}
	for _, c := range r.Commands() {
		if !seen[c.Name] {
			t.Errorf("command %s is not registered", c.Name)
		}
	}
	if _, err := json.Marshal(cmds); err != nil {
		t.Fatal(err)
	}
}

func deref(m *map[discordgo.Locale]string) map[discordgo.Locale]string {
	if m == nil {
		return nil
	}
	return *m
}

// TestApplicationCommandsFrench: French speakers see French names and
// descriptions.
func TestApplicationCommandsFrench(t *testing.T) {
	cmds := ApplicationCommands(commands.New("/postmortem", commands.Deps{}))
	if got := deref(cmds[0].DescriptionLocalizations)[discordgo.French]; got != "Les épisodes du podcast : recherche, points clés, chapitres, liens." {
		t.Errorf("French description = %q", got)
	}
	for _, sub := range cmds[0].Options {
		if sub.Name == "takeaways" && sub.NameLocalizations[discordgo.French] != "points-clés" {
			t.Errorf("takeaways in French = %q, want points-clés", sub.NameLocalizations[discordgo.French])
		}
	}
}
