package fakediscord_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

func TestCommandRegistration(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	cmd := &discordgo.ApplicationCommand{Name: "postmortem", Description: "Post Mortem podcast", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "search", Description: "Search episodes", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "Words", Required: true, Autocomplete: true},
		}},
	}}
	got, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{cmd})
	if err != nil || len(got) != 1 || got[0].ID == "" {
		t.Fatalf("%+v %v", got, err)
	}
	again, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{cmd})
	if err != nil || again[0].ID != got[0].ID {
		t.Fatalf("overwrite changed the id: %+v %v", again, err)
	}
	if _, err := dg.ApplicationCommandCreate(srv.AppID(), "400000000000000004", cmd); err != nil {
		t.Fatal(err)
	}
	if len(srv.Commands("")) != 1 || len(srv.Commands("400000000000000004")) != 1 {
		t.Fatal("commands not recorded")
	}
	bad := []*discordgo.ApplicationCommand{
		{Name: "PostMortem", Description: "upper case"},
		{Name: "x", Description: ""},
		{Name: "y", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: 3, Name: "o", Description: "d", Autocomplete: true,
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "a", Value: "a"}}}}},
	}
	for _, c := range bad {
		_, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{c})
		if st, code := restCode(t, err); st != 400 || code != 50035 {
			t.Errorf("%s: %d %d", c.Name, st, code)
		}
	}
	if v := srv.TakeViolations(); len(v) != len(bad) {
		t.Fatalf("violations = %v", v)
	}
}

func TestDailyCommandCreates(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{AllowViolations: true, RouteRate: fakediscord.NoLimit(), GlobalRate: fakediscord.NoLimit()})
	dg := session(t, srv, srv.BotToken())
	for i := range fakediscord.DailyCommandCreates {
		name := "c" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "1", []*discordgo.ApplicationCommand{{Name: name, Description: "d"}}); err != nil {
			t.Fatal(i, err)
		}
	}
	_, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "1", []*discordgo.ApplicationCommand{{Name: "one-too-many", Description: "d"}})
	// discordgo turns a 429 into a *RateLimitError (with ShouldRetryOnRateLimit off).
	var rl *discordgo.RateLimitError
	calls := srv.Calls("/applications/")
	if !errors.As(err, &rl) || rl.RetryAfter < 23*time.Hour || calls[len(calls)-1].Status != 429 || calls[len(calls)-1].Code != 30034 {
		t.Fatalf("%v, last call %+v", err, calls[len(calls)-1])
	}
}
