package discord_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// Every episode of a summary is listed, and those left out are counted.
func TestSummaryListsEveryEpisode(t *testing.T) {
	feed := postMortem(t)
	m := bot.ComposeMessage(bot.MessageSummary, feed.Title, "en", prefix, oldestFirst(feed.Episodes, 14))
	p := discord.RenderMessage(m)
	if len(p.Embeds) != 1 {
		t.Fatalf("%d embeds, want 1", len(p.Embeds))
	}
	desc := p.Embeds[0].Description
	for _, it := range m.Items {
		if !strings.Contains(desc, "#"+strconv.Itoa(it.Episode.Number)) {
			t.Errorf("episode #%d is not listed", it.Episode.Number)
		}
	}
	if !strings.HasSuffix(desc, "… and 4 more") {
		t.Errorf("description does not end with the count of the others: %q", desc[max(0, len(desc)-60):])
	}
}

// A card whose notes were cut ends with a "More" link to the episode's page.
func TestCardMoreLinkWhenCut(t *testing.T) {
	ep := feeds.Episode{Number: 3, Title: "T", Link: "https://example.org/ep3",
		Notes: feeds.Notes{Summary: strings.Repeat("long words ", 1000)}}
	p := discord.RenderMessage(bot.ComposeMessage(bot.MessageEpisode, "Feed", "en", prefix, []feeds.Episode{ep}))
	e := p.Embeds[0]
	if e.URL != "https://example.org/ep3" || e.Title != "T" {
		t.Errorf("title %q url %q", e.Title, e.URL)
	}
	if !strings.HasSuffix(e.Description, "…\n\n[More](https://example.org/ep3)") {
		t.Errorf("description ends %q", e.Description[len(e.Description)-60:])
	}
	short := discord.RenderMessage(bot.ComposeMessage(bot.MessageEpisode, "Feed", "en", prefix, []feeds.Episode{{Title: "T", Link: "https://example.org/ep3", Notes: feeds.Notes{Summary: "Short."}}}))
	if d := short.Embeds[0].Description; d != "Short." {
		t.Errorf("uncut description %q", d)
	}
}

// A command line too long for a custom_id gets no button; a repeated one
// gets one button.
func TestCommandButtons(t *testing.T) {
	long := prefix + " search " + strings.Repeat("x", 100)
	p := discord.RenderReply(commands.Reply{Header: "h", Buttons: []commands.Button{
		{Label: "a", Command: prefix + " takeaways 3"},
		{Label: "b", Command: prefix + " takeaways 3"},
		{Label: "c", Command: long},
		{Label: "d", URL: "javascript:alert(1)"},
		{Label: "", URL: "https://example.org/x"},
	}, Private: true, Shareable: true, Command: long})
	var got []string
	for _, row := range p.Components {
		for _, c := range row.(discordgo.ActionsRow).Components {
			b := c.(discordgo.Button)
			got = append(got, b.Label+"|"+b.CustomID+"|"+b.URL)
		}
	}
	want := []string{"a|pmbot:cmd:/postmortem takeaways 3|", "More||https://example.org/x"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("buttons:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Twenty-six buttons fill the five rows; the share button is the last.
func TestButtonRows(t *testing.T) {
	r := commands.Reply{Header: "h", Private: true, Shareable: true, Command: prefix + " latest"}
	for i := range 30 {
		r.Buttons = append(r.Buttons, commands.Button{Label: "b", Command: prefix + " episode " + strconv.Itoa(i+1)})
	}
	p := discord.RenderReply(r)
	if len(p.Components) != discord.MaxActionRows {
		t.Fatalf("%d rows", len(p.Components))
	}
	last := p.Components[4].(discordgo.ActionsRow).Components
	if len(last) != 5 || last[4].(discordgo.Button).CustomID != discord.CustomIDShare+prefix+" latest" {
		t.Errorf("last row %+v", last)
	}
}
