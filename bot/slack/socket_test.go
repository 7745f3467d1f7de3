package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

// socketAdapter starts a fakeslack with a generous acknowledgement deadline and
// the adapter in Socket Mode on it.
func socketAdapter(t *testing.T, ro routerOptions, ao slack.Options) (*fakeslack.Server, *slack.Adapter) {
	t.Helper()
	ao.Router = adapterRouter(t, ro)
	fake, a := newAdapter(t, fakeslack.Options{AckDeadline: generousDeadline}, ao)
	runSocketMode(t, a)
	return fake, a
}

// sendCommand sends a slash command over Socket Mode and returns its
// acknowledgement.
func sendCommand(t *testing.T, ctx context.Context, fake *fakeslack.Server, cmd fakeslack.SlashCommand) fakeslack.Ack {
	t.Helper()
	cmd.Command = slashCommand
	ack, err := fake.SendSlashCommand(ctx, cmd)
	if err != nil {
		t.Fatalf("%q: %v", cmd.Text, err)
	}
	if ack.Late || ack.Dropped || len(ack.Problems) > 0 {
		t.Errorf("%q: acknowledgement late %v, dropped %v, problems %v", cmd.Text, ack.Late, ack.Dropped, ack.Problems)
	}
	return ack
}

// answeredInAck checks that a command was answered in its acknowledgement,
// privately, and returns the answer.
func answeredInAck(t *testing.T, ack fakeslack.Ack) answerJSON {
	t.Helper()
	if ack.Payload == nil {
		t.Fatal("the acknowledgement carries no reply")
	}
	r := decodeReply(t, ack.Payload)
	if r.ResponseType != "ephemeral" {
		t.Errorf("response_type = %q, want ephemeral", r.ResponseType)
	}
	if r.Text == "" {
		t.Error("the reply has no text")
	}
	return r
}

func TestSocketQuickCommandsAnsweredInAck(t *testing.T) {
	fake, _ := socketAdapter(t, routerOptions{}, slack.Options{})
	ctx := adapterCtx(t)
	tests := []struct{ text, want string }{
		{"latest", "BGP"}, // the newest episode, in the ack
		{"takeaways 3", "Data Science"},
		{"search bgp", "BGP"},
		{"help", "takeaways"},
		{"", "takeaways"}, // no command is help
		{"frobnicate", "frobnicate"},
		{"takeaways 99", "99"},
	}
	for i, tt := range tests {
		ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: tt.text})
		r := answeredInAck(t, ack)
		if !strings.Contains(r.all(), tt.want) {
			t.Errorf("%q: reply does not mention %q: %.400s", tt.text, tt.want, r.all())
		}
		if got := len(fake.Ephemerals(generalID)); got != i+1 {
			t.Errorf("%q: %d ephemeral replies shown, want %d", tt.text, got, i+1)
		}
		if got := fake.Responses(ack.InvocationID); len(got) != 0 {
			t.Errorf("%q: answered in the ack and again through response_url", tt.text)
		}
	}
	if n := len(fake.Messages(generalID)); n != 0 {
		t.Errorf("%d messages in the channel: questions are answered privately", n)
	}
}

// A handler's bug costs its answer an apology, not the bot.
func TestSocketCommandPanics(t *testing.T) {
	fake, _ := socketAdapter(t, routerOptions{}, slack.Options{})
	ctx := adapterCtx(t)
	r := answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "boom"}))
	if !strings.Contains(r.Text, "went wrong") || strings.Contains(r.all(), "index out of range") {
		t.Errorf("reply to a panic = %q; want the apology, not the panic", r.Text)
	}
	answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "latest"}))
}

// A Slow command is acknowledged at once, empty, and answered through
// response_url when it ends.
func TestSocketSlowCommandDeferred(t *testing.T) {
	g := newCmdGate()
	fake, _ := socketAdapter(t, routerOptions{slow: g}, slack.Options{})
	t.Cleanup(g.open)
	ctx := adapterCtx(t)

	// The handler blocks until the acknowledgement is in: only a deferred
	// answer gets here.
	ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "digest"})
	if ack.Payload != nil {
		t.Fatalf("a Slow command was acknowledged with a reply: %s", ack.Payload)
	}
	g.waitStarted(t, ctx)
	g.open()
	rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ResponseType != "ephemeral" || !strings.Contains(rs[0].Text, "Digest preview") {
		t.Errorf("responses = %s; want one private digest preview", describeResponses(rs))
	}
}

// A command that is not Slow but does not answer within commands.QuickReply is
// acknowledged empty, and answered through response_url when it ends.
func TestSocketBlockedCommandDeferred(t *testing.T) {
	g := newCmdGate()
	fake, _ := socketAdapter(t, routerOptions{stall: g}, slack.Options{})
	t.Cleanup(g.open)
	ctx := adapterCtx(t)

	ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "stall"})
	if ack.Payload != nil {
		t.Fatalf("a blocked command was acknowledged with a reply: %s", ack.Payload)
	}
	if got := fake.Responses(ack.InvocationID); len(got) != 0 {
		t.Fatalf("answered before the command ended: %s", describeResponses(got))
	}
	g.open()
	rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rs[0].Text, "Stalled") || rs[0].ResponseType != "ephemeral" {
		t.Errorf("response = %s", describeResponses(rs))
	}
}

// A reply too large for an acknowledgement (Slack drops 20 KB frames) goes
// through response_url.
func TestSocketHugeReplyThroughResponseURL(t *testing.T) {
	fake, _ := socketAdapter(t, routerOptions{}, slack.Options{})
	ctx := adapterCtx(t)

	ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "huge"})
	if ack.Payload != nil {
		t.Fatalf("a reply of %d bytes was put in the acknowledgement", len(ack.Payload))
	}
	rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rs[0].Body); n < fakeslack.MaxAckFrameBytes {
		t.Errorf("the reply is %d bytes: the test needs one over %d", n, fakeslack.MaxAckFrameBytes)
	}
	if rs[0].ResponseType != "ephemeral" {
		t.Errorf("response_type %q", rs[0].ResponseType)
	}
}

// After Slack asks for a new connection, or drops the socket, the next command
// is answered: nothing is lost.
func TestSocketReconnects(t *testing.T) {
	for _, tt := range []struct {
		name string
		cut  func(*fakeslack.Server) int
	}{
		{"disconnect refresh_requested", func(s *fakeslack.Server) int { return s.Disconnect("refresh_requested") }},
		{"disconnect warning", func(s *fakeslack.Server) int { return s.Disconnect("warning") }},
		{"dropped connections", (*fakeslack.Server).DropConnections},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, _ := socketAdapter(t, routerOptions{}, slack.Options{})
			ctx := adapterCtx(t)
			answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "latest"}))
			if n := tt.cut(fake); n != 1 {
				t.Fatalf("%d connections cut, want 1", n)
			}
			for i, text := range []string{"takeaways 3", "help"} {
				answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: text}))
				if i == 0 && fake.Stats().ConnectionsOpened < 2 {
					t.Errorf("answered without a new apps.connections.open")
				}
			}
			if got := len(fake.Ephemerals(generalID)); got != 3 {
				t.Errorf("%d replies shown, want 3", got)
			}
		})
	}
}

// postAnnouncement posts the announcement of episode 3 in #generalID and returns
// the message as Slack holds it.
func postAnnouncement(t *testing.T, ctx context.Context, fake *fakeslack.Server, a *slack.Adapter) fakeslack.Message {
	t.Helper()
	if _, err := a.Post(ctx, bot.Delivery{Key: "pmbot-d1", Attempt: 1, Kind: bot.MessageEpisode, Channel: generalID}, episode3Announcement(t)); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// A command button in an announcement answers whoever clicks, privately,
// through response_url.
func TestSocketCommandButton(t *testing.T) {
	fake, a := socketAdapter(t, routerOptions{}, slack.Options{})
	ctx := adapterCtx(t)
	m := postAnnouncement(t, ctx, fake, a)
	id := findButtonID(t, m.Blocks, slack.ActionCommand, slashCommand+" takeaways 3")

	ack, err := fake.ClickButton(ctx, fakeslack.ButtonClick{ChannelID: generalID, MessageTS: m.TS, ActionID: id, UserID: "U0CLICKER"})
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil || ack.Late || len(ack.Problems) > 0 {
		t.Errorf("click acknowledged with payload %s, late %v, problems %v", ack.Payload, ack.Late, ack.Problems)
	}
	rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.ResponseType != "ephemeral" || r.ReplaceOriginal || r.DeleteOriginal {
		t.Errorf("response type %q, replace %v, delete %v; want a new private message", r.ResponseType, r.ReplaceOriginal, r.DeleteOriginal)
	}
	if !strings.Contains(r.Text+string(r.Blocks), "Data Science") {
		t.Errorf("the reply is not episode 3's takeaways: %.300s", r.Text)
	}
	eph := fake.Ephemerals(generalID)
	if len(eph) != 1 {
		t.Errorf("%d ephemerals; want one, for the clicker", len(eph))
	} else if eph[0].Recipient != "U0CLICKER" {
		t.Errorf("the reply is shown to %q; want the clicker", eph[0].Recipient)
	}
	if got := fake.Messages(generalID); len(got) != 1 || got[0].TS != m.TS || got[0].Edited {
		t.Errorf("the announcement changed: %d messages", len(got))
	}
}

// "Share in channel" posts the private reply in the channel, and deletes the
// private copy.
func TestSocketShareButton(t *testing.T) {
	fake, _ := socketAdapter(t, routerOptions{}, slack.Options{})
	ctx := adapterCtx(t)
	answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "takeaways 3"}))
	eph := fake.Ephemerals(generalID)
	if len(eph) != 1 {
		t.Fatalf("%d ephemerals, want 1", len(eph))
	}
	id := findButtonID(t, eph[0].Blocks, slack.ActionShare, "")

	ack, err := fake.ClickButton(ctx, fakeslack.ButtonClick{ChannelID: generalID, MessageTS: eph[0].TS, ActionID: id})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := fake.WaitMessages(ctx, generalID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msgs[0].Text+string(msgs[0].Blocks), "Data Science") {
		t.Errorf("the shared message is not the reply: %.300s", msgs[0].Text)
	}
	if strings.Contains(string(msgs[0].Blocks), slack.ActionShare) {
		t.Error("the shared message still offers to share itself")
	}
	rs, err := fake.WaitResponses(ctx, ack.InvocationID, 2)
	if err != nil || rs[0].ResponseType != "in_channel" || !rs[1].DeleteOriginal {
		t.Errorf("responses = %s (%v); want the reply in_channel, then delete_original", describeResponses(rs), err)
	}
	if n := len(fake.Ephemerals(generalID)); n != 0 {
		t.Errorf("the private copy was not deleted (%d ephemerals)", n)
	}
}

// Only channel managers change subscriptions: the configured managers and the
// workspace's admins (users.info).
func TestSocketSubscribeRights(t *testing.T) {
	subs := &adapterSubs{}
	users := &usersInfo{admins: map[string]bool{"U0ADMIN": true}}
	fake, _ := socketAdapter(t, routerOptions{subs: subs}, slack.Options{
		Managers:   []string{"U0BOSS"},
		HTTPClient: newUsersClient(users),
	})
	ctx := adapterCtx(t)

	refused := answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "subscribe", UserID: "U0MEMBER"}))
	if calls := subs.Calls(); len(calls) != 0 {
		t.Fatalf("a member subscribed the channel: %v", calls)
	}
	if users.calls.Load() != 1 {
		t.Errorf("users.info called %d times for a member, want 1", users.calls.Load())
	}
	if refused.Text == "" {
		t.Error("the refusal says nothing")
	}

	for i, tt := range []struct{ user, text string }{
		{"U0BOSS", "subscribe"},
		{"U0BOSS", "sub bgp"}, // an alias of subscribe
		{"U0ADMIN", "unsubscribe"},
		{"U0BOSS", "unsub"},
	} {
		ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: tt.text, UserID: tt.user})
		if ack.Payload == nil {
			t.Fatalf("%s %q: no reply in the ack", tt.user, tt.text)
		}
		if got := subs.Calls(); len(got) != i+1 {
			t.Fatalf("%s %q: subscription calls %v; want %d", tt.user, tt.text, got, i+1)
		}
	}
	// A subscription change is everyone's business: confirmed in the channel.
	if n := len(fake.Messages(generalID)); n < 2 {
		t.Errorf("%d confirmations in the channel, want at least 2", n)
	}
}

// Cancelling the context ends RunSocketMode; the commands under way are still
// answered, and Wait returns once they are.
func TestSocketShutdown(t *testing.T) {
	g := newCmdGate()
	fake, a := newAdapter(t, fakeslack.Options{AckDeadline: generousDeadline}, slack.Options{Router: adapterRouter(t, routerOptions{slow: g})})
	t.Cleanup(g.open)
	stop := runSocketMode(t, a)
	ctx := adapterCtx(t)

	ack := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "digest"})
	g.waitStarted(t, ctx)
	if err := stop(); err != nil {
		t.Fatalf("RunSocketMode = %v, want nil when its context ends", err)
	}
	waited := make(chan struct{})
	go func() {
		a.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("Wait returned while a command was being answered")
	default:
	}
	g.open()
	select {
	case <-waited:
	case <-ctx.Done():
		t.Fatal("Wait did not return after the command was answered")
	}
	// The answer was sent before Wait returned.
	if rs := fake.Responses(ack.InvocationID); len(rs) != 1 || !strings.Contains(rs[0].Text, "Digest preview") {
		t.Errorf("responses after Wait = %s; want the digest preview", describeResponses(rs))
	}
}

// The deadline itself, at Slack's 3 seconds (fakeslack's default): a Slow
// command and a quick one are acknowledged within it. Both have every reason
// to be fast: the Slow one is acknowledged before it runs, the quick one
// reads a feed in memory.
func TestSocketAckDeadline(t *testing.T) {
	g := newCmdGate()
	fake, a := newAdapter(t, fakeslack.Options{}, slack.Options{Router: adapterRouter(t, routerOptions{slow: g})})
	t.Cleanup(g.open)
	runSocketMode(t, a)
	ctx := adapterCtx(t)

	slow := sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "digest"})
	if slow.Payload != nil {
		t.Errorf("the Slow command was acknowledged with a reply")
	}
	answeredInAck(t, sendCommand(t, ctx, fake, fakeslack.SlashCommand{Text: "help"}))
	g.open()
	if _, err := fake.WaitResponses(ctx, slow.InvocationID, 1); err != nil {
		t.Fatal(err)
	}
	if late := fake.LateAcks(); len(late) != 0 {
		for _, l := range late {
			t.Errorf("late acknowledgement: %s envelope %s after %s", l.Type, l.EnvelopeID, l.Elapsed)
		}
	}
}

// An app token Slack refuses stops RunSocketMode with an error that says what
// to fix, without the token.
func TestSocketBadAppToken(t *testing.T) {
	_, a := newAdapter(t, fakeslack.Options{}, slack.Options{AppToken: "xapp-1-A0FAKEAPP-revoked"})
	ctx := adapterCtx(t)
	err := a.RunSocketMode(ctx)
	if err == nil || !strings.Contains(err.Error(), "PMBOT_SLACK_APP_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("RunSocketMode = %v; want an error naming invalid_auth and PMBOT_SLACK_APP_TOKEN", err)
	}
	if strings.Contains(err.Error(), "revoked") {
		t.Errorf("the error shows the token: %v", err)
	}
	if ctx.Err() != nil {
		t.Error("RunSocketMode kept trying until the test's deadline")
	}
}
