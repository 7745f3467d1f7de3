package fakediscord_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// openBot opens a discordgo gateway session against the fake and registers h.
func openBot(t *testing.T, srv *fakediscord.Server, h func(*discordgo.Session, *discordgo.InteractionCreate)) *discordgo.Session {
	t.Helper()
	dg := session(t, srv, srv.BotToken())
	if h != nil {
		dg.AddHandler(h)
	}
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dg.Close() })
	if err := srv.WaitReady(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	return dg
}

var quiet = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}

func TestGatewayCommandAndResume(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: time.Second})
	got := make(chan discordgo.InteractionCreate, 10)
	openBot(t, srv, func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		got <- *ic
		var err error
		switch ic.Type {
		case discordgo.InteractionApplicationCommand:
			err = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "results for " + ic.ApplicationCommandData().Options[0].StringValue(), AllowedMentions: quiet},
			})
		case discordgo.InteractionMessageComponent:
			err = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
		case discordgo.InteractionApplicationCommandAutocomplete:
			err = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "kubernetes", Value: "kubernetes"}}},
			})
		}
		if err != nil {
			t.Error(err)
		}
	})
	ctx := ctxT(t)
	rec, err := srv.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem",
		Options: []fakediscord.CommandOption{{Name: "search", Type: 3, Value: "dns"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Response == nil || rec.Response.Type != 4 || rec.Response.Message.Content != "results for dns" {
		t.Fatalf("record = %+v", rec)
	}
	if ic := <-got; ic.GuildID == "" || ic.Member == nil || ic.ApplicationCommandData().Name != "postmortem" {
		t.Fatalf("interaction as discordgo saw it: %+v", ic)
	}
	if ms := srv.Messages(chanID); len(ms) != 1 || ms[0].Kind != "response" {
		t.Fatalf("messages = %+v", ms)
	}

	rec, err = srv.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionComponent, CustomID: "pmbot:more:2"})
	if err != nil || rec.Response == nil || rec.Response.Type != 6 {
		t.Fatalf("component: %+v %v", rec, err)
	}
	if ic := <-got; ic.MessageComponentData().CustomID != "pmbot:more:2" {
		t.Fatalf("custom_id = %q", ic.MessageComponentData().CustomID)
	}
	rec, err = srv.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionAutocomplete, Name: "postmortem",
		Options: []fakediscord.CommandOption{{Name: "search", Type: 3, Value: "kub", Focused: true}}})
	if err != nil || rec.Response == nil || len(rec.Response.Choices) != 1 {
		t.Fatalf("autocomplete: %+v %v", rec, err)
	}
	<-got

}

// searchBot opens a bot that answers /postmortem search:<q> with "results for <q>".
func searchBot(t *testing.T, srv *fakediscord.Server) {
	openBot(t, srv, func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		err := s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "results for " + ic.ApplicationCommandData().Options[0].StringValue(), AllowedMentions: quiet},
		})
		if err != nil {
			t.Error(err)
		}
	})
}

func search(t *testing.T, srv *fakediscord.Server, q string) {
	t.Helper()
	rec, err := srv.SendInteraction(ctxT(t), fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem",
		Options: []fakediscord.CommandOption{{Name: "search", Type: 3, Value: q}}})
	if err != nil || rec.Response == nil || rec.Response.Message.Content != "results for "+q {
		t.Fatalf("%+v %v", rec, err)
	}
}

func TestGatewayReconnectResumes(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: time.Second})
	searchBot(t, srv)
	search(t, srv, "dns")
	srv.Reconnect() // op 7: discordgo closes and resumes
	if err := srv.Wait(ctxT(t), func() bool { st := srv.Stats(); return st.Resumes >= 1 && st.Ready == 1 }); err != nil {
		t.Fatal(err, srv.Stats())
	}
	search(t, srv, "bgp")
}

func TestGatewayDropResumes(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: time.Second})
	searchBot(t, srv)
	srv.DropConnections()
	if err := srv.Wait(ctxT(t), func() bool { st := srv.Stats(); return st.Resumes >= 1 && st.Ready == 1 }); err != nil {
		t.Fatal(err, srv.Stats())
	}
	// Even if discordgo cycles the connection again, the session replays the event.
	search(t, srv, "bgp")
}

func TestGatewayInvalidSessionIdentifies(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: time.Second})
	searchBot(t, srv)
	srv.InvalidSession(false) // op 9: discordgo identifies again
	if err := srv.Wait(ctxT(t), func() bool { st := srv.Stats(); return st.Identifies >= 2 && st.Ready == 1 }); err != nil {
		t.Fatal(err, srv.Stats())
	}
	search(t, srv, "tls")
}

func TestDeferFollowupAndEdit(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	done := make(chan error, 1)
	openBot(t, srv, func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		err := s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
		if err == nil {
			content := "slow answer"
			_, err = s.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{Content: &content, AllowedMentions: quiet})
		}
		if err == nil {
			_, err = s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "more", AllowedMentions: quiet, Flags: discordgo.MessageFlagsEphemeral})
		}
		done <- err
	})
	rec, err := srv.SendInteraction(ctxT(t), fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem"})
	if err != nil || rec.Response.Type != 5 {
		t.Fatalf("%+v %v", rec, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec, _ = srv.Interaction(rec.Interaction.ID)
	if rec.Original == nil || rec.Original.Content != "slow answer" || len(rec.Followups) != 1 || rec.Followups[0].Flags != 64 {
		t.Fatalf("record = %+v", rec)
	}
	if ms := srv.Messages(chanID); len(ms) != 1 || ms[0].Content != "slow answer" {
		t.Fatalf("messages = %+v (the ephemeral followup must not be there)", ms)
	}
}

func TestDeadlineAndSecondCallback(t *testing.T) {
	clock := fakediscord.NewClock(time.Unix(1_700_000_000, 0))
	srv := fakediscord.New(t, fakediscord.Options{Clock: clock.Now})
	errs := make(chan [2]error, 1)
	openBot(t, srv, func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok", AllowedMentions: quiet}}
		if ic.ApplicationCommandData().Name == "slow" {
			clock.Advance(3100 * time.Millisecond)
		}
		e1 := s.InteractionRespond(ic.Interaction, resp)
		e2 := s.InteractionRespond(ic.Interaction, resp)
		errs <- [2]error{e1, e2}
	})
	ctx := ctxT(t)
	if _, err := srv.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "fast"}); err != nil {
		t.Fatal(err)
	}
	e := <-errs
	if e[0] != nil {
		t.Fatal(e[0])
	}
	if st, code := restCode(t, e[1]); st != 400 || code != 40060 {
		t.Fatalf("second callback: %d %d", st, code)
	}
	if v := srv.TakeViolations(); rules(v) != "B2 second callback" {
		t.Fatalf("violations = %v", v)
	}
	rec, err := srv.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "slow"})
	if err != nil || rec.Response == nil || !rec.Response.Late {
		t.Fatalf("%+v %v", rec, err)
	}
	e = <-errs
	if st, code := restCode(t, e[0]); st != 404 || code != 10062 {
		t.Fatalf("late callback: %d %d", st, code)
	}
	if st, code := restCode(t, e[1]); st != 404 || code != 10062 {
		t.Fatalf("callback after a late one: %d %d", st, code)
	}
	if v := srv.TakeViolations(); rules(v) != "B2 interaction deadline,B2 interaction deadline" {
		t.Fatalf("violations = %v", v)
	}
}

func TestIdentifyChecks(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	dg.Identify.Intents = discordgo.IntentsAll // privileged intents not enabled
	dg.ShouldReconnectOnError = false
	if err := dg.Open(); err == nil || !strings.Contains(err.Error(), "4014") {
		t.Fatalf("Open = %v, want close 4014", err)
	}
	if v := srv.TakeViolations(); rules(v) != "B7 identify" {
		t.Fatalf("violations = %v", v)
	}
}

func TestComponentUpdatesMessage(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	openBot(t, srv, func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic.Message == nil || ic.Message.Content != "page 1" {
			t.Errorf("component interaction without its message: %+v", ic.Message)
		}
		err := s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "page 2", AllowedMentions: quiet}})
		if err != nil {
			t.Error(err)
		}
	})
	dg := session(t, srv, srv.BotToken())
	m, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "page 1", AllowedMentions: quiet,
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Next", Style: discordgo.SecondaryButton, CustomID: "pmbot:page:2"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := srv.SendInteraction(ctxT(t), fakediscord.Interaction{Type: fakediscord.InteractionComponent, CustomID: "pmbot:page:2", MessageID: m.ID})
	if err != nil || rec.Response.Type != 7 {
		t.Fatalf("%+v %v", rec, err)
	}
	// discordgo sends "components": null, which clears them, as in Discord's PATCH
	// semantics: a bot that keeps its buttons must send them again.
	if ms := srv.Messages(chanID); len(ms) != 1 || ms[0].Content != "page 2" || len(ms[0].Components) != 0 || ms[0].EditedAt.IsZero() {
		t.Fatalf("messages = %+v", ms)
	}
}
