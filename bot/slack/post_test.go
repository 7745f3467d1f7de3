package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
	"github.com/pmbot/pmbot/feeds"
)

// The Post tests run fakeslack and the adapter on one manual clock: rate limits,
// Retry-After and the spacing of posts are moved on by Advance, never waited for.

func manualClock() *fakeslack.Clock {
	return fakeslack.NewClock(time.Date(2024, 5, 13, 9, 0, 0, 0, time.UTC))
}

// episode3Announcement is the announcement of episode 3 of Post Mortem, with its
// buttons (listen, key takeaways).
func episode3Announcement(t *testing.T) bot.Message {
	t.Helper()
	for _, ep := range postMortemCatalog(t).eps {
		if ep.Number == 3 {
			return bot.ComposeMessage(bot.MessageEpisode, "Post Mortem", "fr", slashCommand, []feeds.Episode{ep})
		}
	}
	t.Fatal("no episode 3 in the feed")
	return bot.Message{}
}

func testDelivery(key string, attempt int, channel string) bot.Delivery {
	// A later attempt here is one whose earlier attempt's outcome is unknown.
	return bot.Delivery{Key: key, Attempt: attempt, Kind: bot.MessageEpisode, Channel: channel, MayHavePosted: attempt > 1}
}

// deliveryKey reads the key of a posted message's pmbot_delivery metadata.
func deliveryKey(t *testing.T, m fakeslack.Message) string {
	t.Helper()
	if m.Metadata == nil {
		t.Fatalf("message %s has no metadata", m.TS)
	}
	if m.Metadata.EventType != "pmbot_delivery" {
		t.Errorf("metadata event_type = %q, want pmbot_delivery", m.Metadata.EventType)
	}
	var p struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(m.Metadata.EventPayload, &p); err != nil {
		t.Fatalf("event_payload %s: %v", m.Metadata.EventPayload, err)
	}
	return p.Key
}

func TestPostOnceWithMetadata(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)

	ts, err := a.Post(ctx, testDelivery("pmbot-d1", 1, generalID), episode3Announcement(t))
	if err != nil {
		t.Fatalf("Post = %v", err)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages posted, want 1", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts {
		t.Errorf("Post returned ts %q; the message's is %q", ts, m.TS)
	}
	if got := deliveryKey(t, m); got != "pmbot-d1" {
		t.Errorf("metadata key = %q, want pmbot-d1", got)
	}
	if m.UnfurlLinks == nil || *m.UnfurlLinks || m.UnfurlMedia == nil || *m.UnfurlMedia {
		t.Errorf("unfurl_links %v, unfurl_media %v: both must be sent false", m.UnfurlLinks, m.UnfurlMedia)
	}
	if m.Text == "" || m.Blocks == nil {
		t.Errorf("message has text %q and blocks %s; want both", m.Text, m.Blocks)
	}
	// A first attempt posts without reading history first.
	if n := len(fake.Calls("conversations.history")); n != 0 {
		t.Errorf("a first attempt read the history %d times", n)
	}
}

// An attempt whose post went through but whose answer was lost (the process
// died, the connection broke) is found again by the next attempt.
func TestPostRetriedAfterLostAnswer(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)
	d := testDelivery("pmbot-d7", 1, generalID)

	fake.Inject(fakeslack.Fault{Method: "chat.postMessage", DropResponse: true})
	if _, err := a.Post(ctx, d, episode3Announcement(t)); err == nil {
		t.Fatal("Post succeeded although Slack's answer was lost")
	}
	if n := len(fake.Messages(generalID)); n != 1 {
		t.Fatalf("%d messages after the lost answer, want 1 (the fault posts, then cuts)", n)
	}

	clk.Advance(time.Second)
	d.Attempt, d.MayHavePosted = 2, true
	ts, err := a.Post(ctx, d, episode3Announcement(t))
	if err != nil {
		t.Fatalf("second attempt: Post = %v", err)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the second attempt, want 1: the delivery was posted twice", len(msgs))
	}
	if ts != msgs[0].TS {
		t.Errorf("second attempt returned ts %q, want the first post's %q", ts, msgs[0].TS)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
	hist := fake.Calls("conversations.history")
	if len(hist) != 1 || hist[0].Params.Get("include_all_metadata") != "1" {
		t.Errorf("history calls = %+v; want one with include_all_metadata", hist)
	}
}

// A retried delivery that was never posted (the first attempt failed before
// Slack had it) is posted once; another delivery's post is no reason to skip it.
func TestPostRetriedNeverPosted(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)

	if _, err := a.Post(ctx, testDelivery("pmbot-d1", 1, generalID), episode3Announcement(t)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	ts, err := a.Post(ctx, testDelivery("pmbot-d2", 3, generalID), episode3Announcement(t))
	if err != nil {
		t.Fatalf("Post = %v", err)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if got := deliveryKey(t, msgs[1]); got != "pmbot-d2" || msgs[1].TS != ts {
		t.Errorf("second message has key %q ts %q; want pmbot-d2, %q", got, msgs[1].TS, ts)
	}
}

func TestPostRateLimited(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)
	d := testDelivery("pmbot-d1", 1, generalID)

	fake.RateLimitNext("chat.postMessage", 1, 7*time.Second)
	_, err := a.Post(ctx, d, episode3Announcement(t))
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("Post = %v (%T), want a *bot.RetryAfterError", err, err)
	}
	if ra.After != 7*time.Second {
		t.Errorf("RetryAfter = %v, want Slack's 7s", ra.After)
	}
	if n := len(fake.Messages(generalID)); n != 0 {
		t.Fatalf("%d messages posted by a rate-limited call", n)
	}

	// Before the Retry-After has passed, the adapter does not call Slack (the
	// fake would record a violation): it gives the delivery back at once.
	short, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	clk.Advance(time.Second)
	d.Attempt, d.MayHavePosted = 2, true
	_, err = a.Post(short, d, episode3Announcement(t))
	if !errors.As(err, &ra) {
		t.Fatalf("Post during the Retry-After = %v, want a *bot.RetryAfterError", err)
	}
	if ra.After != 6*time.Second {
		t.Errorf("RetryAfter during the pause = %v, want the 6s left", ra.After)
	}
	if short.Err() != nil {
		t.Error("Post waited for its context's deadline instead of returning")
	}

	clk.Advance(6 * time.Second)
	d.Attempt, d.MayHavePosted = 3, true
	if _, err := a.Post(ctx, d, episode3Announcement(t)); err != nil {
		t.Fatalf("Post after the Retry-After = %v", err)
	}
	if n := len(fake.Messages(generalID)); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

// A storm of 429s on every method: each attempt is given back with Slack's
// Retry-After, as the dispatcher would; when it passes, the delivery is posted
// once, and a further attempt (a crash before it was recorded) finds it.
func TestPostRateLimitStorm(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)
	msg := episode3Announcement(t)

	fake.RateLimitStorm(3 * time.Second)
	attempt := 1
	for ; attempt <= 5; attempt++ {
		_, err := a.Post(ctx, testDelivery("pmbot-d9", attempt, generalID), msg)
		var ra *bot.RetryAfterError
		if !errors.As(err, &ra) {
			t.Fatalf("attempt %d in the storm: Post = %v, want a *bot.RetryAfterError", attempt, err)
		}
		if ra.After <= 0 {
			t.Fatalf("attempt %d: RetryAfter %v", attempt, ra.After)
		}
		clk.Advance(ra.After)
	}
	fake.ClearFaults()

	var ts string
	for ; ts == ""; attempt++ {
		if attempt > 10 {
			t.Fatal("the delivery was never posted after the storm")
		}
		var err error
		ts, err = a.Post(ctx, testDelivery("pmbot-d9", attempt, generalID), msg)
		var ra *bot.RetryAfterError
		switch {
		case errors.As(err, &ra):
			clk.Advance(ra.After)
		case err != nil:
			t.Fatalf("attempt %d after the storm: Post = %v", attempt, err)
		}
	}
	clk.Advance(time.Second)
	again, err := a.Post(ctx, testDelivery("pmbot-d9", attempt, generalID), msg)
	if err != nil || again != ts {
		t.Fatalf("a further attempt = %q, %v; want the posted %q", again, err, ts)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 1 || deliveryKey(t, msgs[0]) != "pmbot-d9" {
		t.Fatalf("%d messages after the storm, want exactly 1", len(msgs))
	}
	if fake.Stats().RateLimited < 5 {
		t.Errorf("only %d calls were rate limited", fake.Stats().RateLimited)
	}
}

// A public channel the bot was never invited to is joined, then posted to.
func TestPostJoinsPublicChannel(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{
		Clock:    clk.Now,
		Channels: []fakeslack.Channel{{ID: "C0RANDOM", Name: "random"}},
	}, slack.Options{ChannelGap: time.Millisecond})
	ctx := adapterCtx(t)

	// Retried: the history of a channel the bot is not in says not_in_channel,
	// which means nothing was posted there.
	ts, err := a.Post(ctx, testDelivery("pmbot-d1", 2, "C0RANDOM"), episode3Announcement(t))
	if err != nil {
		t.Fatalf("Post = %v", err)
	}
	msgs := fake.Messages("C0RANDOM")
	if len(msgs) != 1 || msgs[0].TS != ts {
		t.Fatalf("messages = %d, want 1 with ts %s", len(msgs), ts)
	}
	if c, _ := fake.Channel("C0RANDOM"); !c.BotIsMember {
		t.Error("the bot did not join the channel")
	}
	if n := len(fake.Calls("conversations.join")); n != 1 {
		t.Errorf("conversations.join called %d times, want 1", n)
	}
}

// Failures no retry fixes are permanent and pause the subscription.
func TestPostPermanentFailures(t *testing.T) {
	tests := []struct {
		name    string
		channel fakeslack.Channel
		post    string // the channel posted to
		token   string
		code    string
		words   string // what the error must tell
	}{
		{"private channel not joined", fakeslack.Channel{ID: "G0SECRET", Name: "secret", Private: true}, "G0SECRET", "", "", "/invite"},
		{"channel not found", fakeslack.Channel{ID: "C0OTHER", Name: "other", BotIsMember: true}, "C0GONE", "", "channel_not_found", "does not exist"},
		{"archived", fakeslack.Channel{ID: "C0OLD", Name: "old", Archived: true, BotIsMember: true}, "C0OLD", "", "is_archived", "archived"},
		{"invalid auth", fakeslack.Channel{ID: "C0GENERAL", Name: "general", BotIsMember: true}, "C0GENERAL", "xoxb-revoked-token", "invalid_auth", "PMBOT_SLACK_BOT_TOKEN"},
	}
	for _, tt := range tests {
		for _, attempt := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/attempt %d", tt.name, attempt), func(t *testing.T) {
				clk := manualClock()
				fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now, Channels: []fakeslack.Channel{tt.channel}},
					slack.Options{BotToken: tt.token, ChannelGap: time.Millisecond})
				_, err := a.Post(adapterCtx(t), testDelivery("pmbot-d1", attempt, tt.post), episode3Announcement(t))
				var perm *bot.PermanentError
				if !errors.As(err, &perm) || !perm.Pause {
					t.Fatalf("Post = %v (%T), want a *bot.PermanentError with Pause", err, err)
				}
				if !strings.Contains(err.Error(), tt.code) || !strings.Contains(err.Error(), tt.words) {
					t.Errorf("error %q should name %q and say %q", err, tt.code, tt.words)
				}
				if tt.token != "" && strings.Contains(err.Error(), tt.token) {
					t.Errorf("error %q shows the token", err)
				}
				if n := len(fake.AllMessages()); n != 0 {
					t.Errorf("%d messages posted", n)
				}
			})
		}
	}
}

// Blocks that Slack refuses are a bug of ours, but the news still goes out:
// once, as plain text, with the same key.
func TestPostInvalidBlocksFallsBackToText(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{ChannelGap: time.Millisecond})
	fake.FailPost(generalID, "invalid_blocks")

	ts, err := a.Post(adapterCtx(t), testDelivery("pmbot-d4", 1, generalID), episode3Announcement(t))
	if err != nil {
		t.Fatalf("Post = %v", err)
	}
	msgs := fake.Messages(generalID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts || m.Blocks != nil || m.Text == "" {
		t.Errorf("message ts %q blocks %s text %q; want ts %q, plain text only", m.TS, m.Blocks, m.Text, ts)
	}
	if got := deliveryKey(t, m); got != "pmbot-d4" {
		t.Errorf("fallback key = %q, want pmbot-d4", got)
	}
	if m.UnfurlLinks == nil || *m.UnfurlLinks {
		t.Error("the fallback unfurls links")
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2 (refused, then text)", n)
	}
}

// A post whose channel's next slot is past its context's deadline is given back
// at once with the wait, rather than hold the delivery past its claim.
func TestPostDeadlineBeforeSlot(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{ChannelGap: time.Hour})
	ctx := adapterCtx(t)
	if _, err := a.Post(ctx, testDelivery("pmbot-d1", 1, generalID), episode3Announcement(t)); err != nil {
		t.Fatal(err)
	}
	// The next slot of the channel is an hour away; the context ends long
	// before (adapterSafety). If Post waited, the test would run out of time.
	_, err := a.Post(ctx, testDelivery("pmbot-d2", 1, generalID), episode3Announcement(t))
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("Post = %v, want a *bot.RetryAfterError", err)
	}
	if ra.After != time.Hour {
		t.Errorf("RetryAfter = %v, want the hour to the channel's next slot", ra.After)
	}
	if ctx.Err() != nil {
		t.Error("Post blocked until its deadline")
	}
	if n := len(fake.Messages(generalID)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	// Another channel is not held back by this one.
	fake.SetChannel(fakeslack.Channel{ID: "C0OTHER", Name: "other", BotIsMember: true})
	if _, err := a.Post(ctx, testDelivery("pmbot-d3", 1, "C0OTHER"), episode3Announcement(t)); err != nil {
		t.Errorf("Post to another channel = %v", err)
	}
}

// Feed text cannot notify a channel or a user, whatever it holds: fakeslack
// fails the test on any broadcast it would show.
func TestPostHostileContent(t *testing.T) {
	clk := manualClock()
	fake, a := newAdapter(t, fakeslack.Options{Clock: clk.Now}, slack.Options{})
	ctx := adapterCtx(t)
	ep := feeds.Episode{
		GUID: "hostile", Number: 66, Title: "<!channel> outage <@U1> <!here|here>",
		Published: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), AudioURL: "https://example.com/66.mp3",
		Link:      "https://example.com/66?<!everyone>",
		NotesText: "<!everyone> read this <@U1>",
		Notes: feeds.Notes{
			Summary:   "<!everyone> & <@U1> <!subteam^S0TEAM> <#C0GENERAL>",
			Takeaways: []string{"<!here> ping <@U1>", "<!channel>", "a <https://evil.example|link>"},
			Links:     []feeds.Link{{Text: "<!channel>", URL: "https://example.com/<!channel>"}},
		},
	}
	for i, kind := range []bot.MessageKind{bot.MessageEpisode, bot.MessageDigest} {
		m := bot.ComposeMessage(kind, "<!channel> Post Mortem <@U1>", "en", slashCommand, []feeds.Episode{ep, ep})
		clk.Advance(time.Second)
		if _, err := a.Post(ctx, testDelivery(fmt.Sprintf("pmbot-h%d", i), 1, generalID), m); err != nil {
			t.Fatalf("Post %s = %v", kind, err)
		}
	}
	for _, m := range fake.Messages(generalID) {
		if len(m.Broadcasts) > 0 {
			t.Errorf("message %s would notify %v", m.TS, m.Broadcasts)
		}
		for _, raw := range []string{m.Text, string(m.Blocks)} {
			if strings.Contains(raw, "<@U1") || strings.Contains(raw, "<!") {
				t.Errorf("message %s holds a live mention: %.300s", m.TS, raw)
			}
		}
	}
	if n := len(fake.Messages(generalID)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}
