package fakeslack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

var tsFormat = regexp.MustCompile(`^\d+\.\d{6}$`)

func TestPostMessageWithBlocksAndMetadata(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)
	api := botClient(s)

	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Episode 17: BGP", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Points clés*\n• one\n• two", false, false), nil, nil),
		slack.NewActionBlock("ep17", slack.NewButtonBlockElement("share", "17", slack.NewTextBlockObject(slack.PlainTextType, "Share", false, false))),
	}
	meta := slack.SlackMetadata{EventType: "pmbot_delivery", EventPayload: map[string]any{"key": "sub1/ep17"}}
	channel, ts, err := api.PostMessageContext(ctx, "C0GENERAL",
		slack.MsgOptionText("Episode 17: BGP", false),
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionMetadata(meta),
		slack.MsgOptionDisableLinkUnfurl(),
	)
	if err != nil {
		t.Fatalf("PostMessageContext: %v", err)
	}
	if channel != "C0GENERAL" || !tsFormat.MatchString(ts) {
		t.Errorf("PostMessageContext = (%q, %q); want C0GENERAL and a <seconds>.<6 digits> ts", channel, ts)
	}

	msgs := s.Messages("C0GENERAL")
	if len(msgs) != 1 {
		t.Fatalf("Messages = %d messages; want 1", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts || m.Text != "Episode 17: BGP" || m.Via != ViaPostMessage || m.User != "U0FAKEBOT" {
		t.Errorf("message = %+v; want ts %s, the text, via chat.postMessage, by the bot", m, ts)
	}
	var gotBlocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &gotBlocks); err != nil || len(gotBlocks) != 3 || gotBlocks[0]["type"] != "header" {
		t.Errorf("recorded blocks = %s (%v); want the 3 blocks sent", m.Blocks, err)
	}
	if m.Metadata == nil || m.Metadata.EventType != "pmbot_delivery" || string(m.Metadata.EventPayload) != `{"key":"sub1/ep17"}` {
		t.Errorf("metadata = %+v; want pmbot_delivery with the payload", m.Metadata)
	}
	if m.UnfurlLinks == nil || *m.UnfurlLinks {
		t.Errorf("UnfurlLinks = %v; want false", m.UnfurlLinks)
	}
	if m.Params.Get("token") != "" || m.Params.Get("channel") != "C0GENERAL" {
		t.Errorf("Params = %v; want the arguments without the token", m.Params)
	}

	// A second message gets a later ts, even with a frozen clock.
	_, ts2, err := api.PostMessageContext(ctx, "general", slack.MsgOptionText("again", false))
	if err != nil {
		t.Fatalf("PostMessageContext by name: %v", err)
	}
	if compareTS(ts2, ts) <= 0 {
		t.Errorf("second ts %s is not after %s", ts2, ts)
	}
}

func TestTimestampsUniqueWithFrozenClock(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	s := New(t, Options{Clock: clock.Now, ChannelRate: NoLimit()})
	ctx := testContext(t)
	api := botClient(s)
	var prev string
	for i := range 5 {
		_, ts, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText(fmt.Sprint(i), false))
		if err != nil {
			t.Fatal(err)
		}
		if prev != "" && compareTS(ts, prev) <= 0 {
			t.Errorf("ts %s is not after %s", ts, prev)
		}
		prev = ts
	}
	if prev != "1700000000.000004" {
		t.Errorf("fifth ts = %s; want 1700000000.000004", prev)
	}
}

func TestTokens(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)

	// The app-level token does not post.
	app := slack.New(s.AppToken(), slack.OptionAPIURL(s.APIURL()))
	if _, _, err := app.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("hi", false)); slackErr(err) != "invalid_auth" {
		t.Errorf("PostMessage with the xapp token: err = %v; want invalid_auth", err)
	}
	// The bot token does not open Socket Mode connections.
	bot := slack.New(s.BotToken(), slack.OptionAppLevelToken(s.BotToken()), slack.OptionAPIURL(s.APIURL()))
	if _, _, err := bot.StartSocketModeContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("apps.connections.open with the xoxb token: err = %v; want invalid_auth", err)
	}
	takeViolations(t, s, "chat.postMessage called with the app-level", "apps.connections.open called with the bot")

	// No token, an unknown token: errors, not violations (a misconfiguration).
	none := slack.New("", slack.OptionAPIURL(s.APIURL()))
	if _, err := none.AuthTestContext(ctx); slackErr(err) != "not_authed" {
		t.Errorf("auth.test without a token: err = %v; want not_authed", err)
	}
	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL()))
	if _, err := wrong.AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("auth.test with a wrong token: err = %v; want invalid_auth", err)
	}

	resp, err := botClient(s).AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	if resp.UserID != "U0FAKEBOT" || resp.BotID != "B0FAKEBOT" || resp.TeamID != "T0FAKETEAM" || resp.URL != "https://fake-team.slack.com/" {
		t.Errorf("auth.test = %+v", resp)
	}
}

func TestChannelErrorsAndJoin(t *testing.T) {
	s := New(t, Options{Channels: []Channel{
		{ID: "C1", Name: "podcasts"},
		{ID: "G1", Name: "secret", Private: true},
		{ID: "C2", Name: "old", Archived: true, BotIsMember: true},
	}})
	ctx := testContext(t)
	api := botClient(s)
	post := func(ch string) error {
		_, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("hello", false))
		return err
	}
	for _, tc := range []struct{ channel, want string }{
		{"C404", "channel_not_found"},
		{"C1", "not_in_channel"},
		{"G1", "not_in_channel"},
		{"C2", "is_archived"},
	} {
		if err := post(tc.channel); slackErr(err) != tc.want {
			t.Errorf("post to %s: err = %v; want %s", tc.channel, err, tc.want)
		}
	}

	if _, _, _, err := api.JoinConversationContext(ctx, "G1"); slackErr(err) != "channel_not_found" {
		t.Errorf("join private G1: err = %v; want channel_not_found", err)
	}
	ch, warning, _, err := api.JoinConversationContext(ctx, "C1")
	if err != nil || ch == nil || ch.ID != "C1" || !ch.IsMember || warning != "" {
		t.Fatalf("join C1 = (%+v, %q, %v); want the channel, member", ch, warning, err)
	}
	if err := post("C1"); err != nil {
		t.Errorf("post after join: %v", err)
	}
	if _, warning, _, _ := api.JoinConversationContext(ctx, "C1"); warning != "already_in_channel" {
		t.Errorf("second join warning = %q; want already_in_channel", warning)
	}

	// A private channel the bot is in cannot be joined (it already is).
	s.SetChannel(Channel{ID: "G1", Name: "secret", Private: true, BotIsMember: true})
	if _, _, _, err := api.JoinConversationContext(ctx, "G1"); slackErr(err) != "method_not_supported_for_channel_type" {
		t.Errorf("join private G1: err = %v; want method_not_supported_for_channel_type", err)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "G1"})
	if err != nil || info.Name != "secret" || !info.IsPrivate || !info.IsMember {
		t.Errorf("conversations.info G1 = (%+v, %v)", info, err)
	}

	// chat:write.public lets the bot post to public channels it is not in.
	s2 := New(t, Options{ChatWritePublic: true, Channels: []Channel{{ID: "C1", Name: "podcasts"}}})
	if _, _, err := botClient(s2).PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("post with chat:write.public: %v", err)
	}

	// A deleted channel is gone.
	s.DeleteChannel("C1")
	if err := post("C1"); slackErr(err) != "channel_not_found" {
		t.Errorf("post to deleted channel: err = %v; want channel_not_found", err)
	}
}

func TestMessageValidation(t *testing.T) {
	s := New(t, Options{ChannelRate: NoLimit(), MaxBlocksChars: 5000})
	ctx := testContext(t)
	api := botClient(s)
	section := func(text string) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
	}
	many := func(n int) []slack.Block {
		var bs []slack.Block
		for i := range n {
			bs = append(bs, section(fmt.Sprint("block ", i)))
		}
		return bs
	}

	for _, tc := range []struct {
		name      string
		opts      []slack.MsgOption
		want      string
		violation string
	}{
		{"51 blocks", []slack.MsgOption{slack.MsgOptionBlocks(many(51)...)}, "invalid_blocks", "no more than 50 items"},
		{"empty", []slack.MsgOption{slack.MsgOptionText("", false)}, "no_text", "no_text"},
		{"empty blocks", []slack.MsgOption{slack.MsgOptionBlocks()}, "no_text", "no_text"},
		{"header too long", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(
			slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false)))}, "invalid_blocks", "/blocks/0/text/text"},
		{"too much text", []slack.MsgOption{slack.MsgOptionBlocks(section(strings.Repeat("a", 3000)), section(strings.Repeat("b", 3000)))}, "msg_blocks_too_long", "msg_blocks_too_long"},
		{"bad metadata", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "pmbot_delivery"})}, "invalid_metadata_format", "event_payload"},
		{"no event type", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionMetadata(slack.SlackMetadata{EventPayload: map[string]any{"a": 1}})}, "invalid_metadata_format", "event_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, "C0GENERAL", tc.opts...)
			if slackErr(err) != tc.want {
				t.Errorf("PostMessage: err = %v; want %s", err, tc.want)
			}
			takeViolations(t, s, tc.violation)
		})
	}
	if got := len(s.Messages("C0GENERAL")); got != 0 {
		t.Errorf("%d messages recorded; want none", got)
	}

	// Text over 40 000 characters is truncated, not refused.
	long := strings.Repeat("é", MaxTextChars+10)
	if _, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText(long, false)); err != nil {
		t.Fatalf("long text: %v", err)
	}
	m := s.Messages("C0GENERAL")[0]
	if !m.Truncated || runes(m.Text) != MaxTextChars {
		t.Errorf("long text stored with %d characters, truncated %v; want %d, true", runes(m.Text), m.Truncated, MaxTextChars)
	}
}

func TestPostMessageJSONBody(t *testing.T) {
	s := New(t, Options{})
	body := `{"channel":"C0GENERAL","text":"json","blocks":[{"type":"divider"}],"metadata":{"event_type":"e","event_payload":{"k":1}},"unfurl_links":false}`
	post := func(auth, body string) map[string]any {
		req, err := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := post("", body); got["error"] != "not_authed" {
		t.Errorf("JSON post without a Bearer token = %v; want not_authed", got)
	}
	got := post(s.BotToken(), body)
	if got["ok"] != true {
		t.Fatalf("JSON post = %v; want ok", got)
	}
	m := s.Messages("C0GENERAL")[0]
	if m.Text != "json" || string(m.Blocks) != `[{"type":"divider"}]` || m.Metadata == nil || string(m.Metadata.EventPayload) != `{"k":1}` || m.UnfurlLinks == nil || *m.UnfurlLinks {
		t.Errorf("recorded %+v", m)
	}
}

func TestRateLimits(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	s := New(t, Options{Clock: clock.Now})
	ctx := testContext(t)
	api := botClient(s)
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false))
		return err
	}
	// A burst of 3, then 429 with an integer Retry-After.
	for i := range 3 {
		if err := post(); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	err := post()
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("fourth post: err = %v; want *slack.RateLimitedError with RetryAfter 1s", err)
	}
	// Calling again before Retry-After elapsed is a violation.
	if err := post(); !errors.As(err, &rl) {
		t.Errorf("fifth post: err = %v; want a rate limit", err)
	}
	takeViolations(t, s, "A1 Retry-After")
	clock.Advance(time.Second)
	if err := post(); err != nil {
		t.Errorf("post after a second: %v", err)
	}

	// Injected: a 429 storm with a longer Retry-After, then back to normal.
	clock.Advance(10 * time.Second)
	s.RateLimitNext("chat.postMessage", 2, 7*time.Second)
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("injected 429: err = %v; want RetryAfter 7s", err)
	}
	clock.Advance(7 * time.Second)
	if err := post(); !errors.As(err, &rl) {
		t.Errorf("second injected 429: err = %v", err)
	}
	clock.Advance(7 * time.Second)
	if err := post(); err != nil {
		t.Errorf("post after the injected 429s: %v", err)
	}
	if st := s.Stats(); st.RateLimited != 4 {
		t.Errorf("Stats().RateLimited = %d; want 4", st.RateLimited)
	}

	// The raw answer: HTTP 429, integer Retry-After, ratelimited.
	s.RateLimitStorm(1500 * time.Millisecond)
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"auth.test", strings.NewReader("token="+s.BotToken()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || strings.TrimSpace(buf.String()) != `{"error":"ratelimited","ok":false}` {
		t.Errorf("storm answer = %d, Retry-After %q, %s; want 429, 2, ratelimited", resp.StatusCode, resp.Header.Get("Retry-After"), buf.String())
	}
	s.ClearFaults()
}

func TestWorkspaceRateLimit(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	var chans []Channel
	for i := range 5 {
		chans = append(chans, Channel{ID: fmt.Sprint("C", i), Name: fmt.Sprint("c", i), BotIsMember: true})
	}
	s := New(t, Options{Clock: clock.Now, Channels: chans, WorkspaceRate: PerMinute(60, 4)})
	ctx := testContext(t)
	api := botClient(s)
	for i := range 4 {
		if _, _, err := api.PostMessageContext(ctx, chans[i].ID, slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	var rl *slack.RateLimitedError
	if _, _, err := api.PostMessageContext(ctx, "C4", slack.MsgOptionText("x", false)); !errors.As(err, &rl) {
		t.Fatalf("fifth post in the workspace: err = %v; want a rate limit", err)
	}
}

func TestFaults(t *testing.T) {
	s := New(t, Options{ChannelRate: NoLimit()})
	ctx := testContext(t)
	api := botClient(s)
	post := func(text string) error {
		_, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText(text, false))
		return err
	}
	s.FailPost("C0GENERAL", "internal_error")
	if err := post("a"); slackErr(err) != "internal_error" {
		t.Errorf("FailPost: err = %v; want internal_error", err)
	}
	if err := post("b"); err != nil {
		t.Errorf("post after the fault: %v", err)
	}
	s.Inject(Fault{Method: "chat.postMessage", Status: http.StatusServiceUnavailable})
	var sce slack.StatusCodeError
	if err := post("c"); !errors.As(err, &sce) || sce.Code != 503 {
		t.Errorf("503 fault: err = %v; want StatusCodeError 503", err)
	}
	// The response is lost, but the message was posted.
	s.Inject(Fault{Method: "chat.postMessage", DropResponse: true})
	if err := post("d"); err == nil {
		t.Errorf("DropResponse: no error")
	}
	var texts []string
	for _, m := range s.Messages("C0GENERAL") {
		texts = append(texts, m.Text)
	}
	if strings.Join(texts, ",") != "b,d" {
		t.Errorf("messages = %v; want b,d", texts)
	}
	s.FailNext("auth.test", "account_inactive")
	if _, err := api.AuthTestContext(ctx); slackErr(err) != "account_inactive" {
		t.Errorf("FailNext auth.test: err = %v", err)
	}
}

func TestHistoryAndMetadata(t *testing.T) {
	s := New(t, Options{ChannelRate: NoLimit()})
	ctx := testContext(t)
	api := botClient(s)
	var tss []string
	for i := range 5 {
		_, ts, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText(fmt.Sprint("m", i), false),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "pmbot_delivery", EventPayload: map[string]any{"key": fmt.Sprint("k", i)}}))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
	}
	// A thread reply is not in history.
	if _, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("reply", false), slack.MsgOptionTS(tss[0])); err != nil {
		t.Fatal(err)
	}

	hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Messages) != 5 || hist.Messages[0].Text != "m4" || hist.Messages[4].Text != "m0" {
		t.Fatalf("history = %d messages starting %q; want 5, newest first", len(hist.Messages), hist.Messages[0].Text)
	}
	for _, m := range hist.Messages {
		if m.Metadata.EventType != "" || m.Metadata.EventPayload != nil {
			t.Errorf("history without include_all_metadata shows metadata %+v", m.Metadata)
		}
	}

	hist, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL", IncludeAllMetadata: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Messages) != 2 || !hist.HasMore || hist.ResponseMetaData.NextCursor == "" {
		t.Fatalf("page 1 = %d messages, has_more %v, cursor %q", len(hist.Messages), hist.HasMore, hist.ResponseMetaData.NextCursor)
	}
	if md := hist.Messages[0].Metadata; md.EventType != "pmbot_delivery" || md.EventPayload["key"] != "k4" {
		t.Errorf("metadata with include_all_metadata = %+v", md)
	}
	var all []string
	for _, m := range hist.Messages {
		all = append(all, m.Text)
	}
	for hist.HasMore {
		hist, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL", Limit: 2, Cursor: hist.ResponseMetaData.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range hist.Messages {
			all = append(all, m.Text)
		}
	}
	if strings.Join(all, ",") != "m4,m3,m2,m1,m0" {
		t.Errorf("paged history = %v", all)
	}

	// oldest/latest are exclusive unless inclusive.
	hist, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL", Oldest: tss[1], Latest: tss[3]})
	if err != nil || len(hist.Messages) != 1 || hist.Messages[0].Text != "m2" {
		t.Errorf("history between = %+v, %v; want m2", hist, err)
	}
	hist, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0GENERAL", Oldest: tss[1], Latest: tss[3], Inclusive: true})
	if err != nil || len(hist.Messages) != 3 {
		t.Errorf("inclusive history = %+v, %v; want 3 messages", hist, err)
	}

	// Not a member: not_in_channel.
	s.SetChannel(Channel{ID: "C9", Name: "other"})
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C9"}); slackErr(err) != "not_in_channel" {
		t.Errorf("history of a channel the bot is not in: err = %v; want not_in_channel", err)
	}
}

func TestEphemeralUpdateDelete(t *testing.T) {
	s := New(t, Options{Channels: []Channel{{ID: "C1", Name: "c", BotIsMember: true, Members: []string{"U1"}}}})
	ctx := testContext(t)
	api := botClient(s)
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatalf("PostEphemeral: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U2", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_in_channel" {
		t.Errorf("PostEphemeral to a non-member: err = %v; want user_not_in_channel", err)
	}
	eph := s.Ephemerals("C1")
	if len(eph) != 1 || eph[0].Recipient != "U1" || eph[0].Text != "only you" || len(s.Messages("C1")) != 0 {
		t.Errorf("Ephemerals = %+v; want one for U1, and no channel message", eph)
	}

	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("v1", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("v2", false)); err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	if m := s.Messages("C1")[0]; m.Text != "v2" || !m.Edited {
		t.Errorf("updated message = %+v", m)
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if n := len(s.Messages("C1")); n != 0 {
		t.Errorf("%d messages after delete", n)
	}
}

func TestBroadcastsAreViolations(t *testing.T) {
	s := New(t, Options{ChannelRate: NoLimit()})
	ctx := testContext(t)
	api := botClient(s)
	for _, text := range []string{"hello <!channel>", "<!here|here> look", "safe &lt;!channel&gt;", "@everyone plain"} {
		if _, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	vs := takeViolations(t, s, "would notify channel", "would notify here")
	if len(vs) != 2 {
		t.Errorf("violations = %v; want 2 (escaped and plain @everyone do not notify)", vs)
	}
	// With link_names, @everyone notifies.
	if _, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("@everyone hi", false), slack.MsgOptionLinkNames(true)); err != nil {
		t.Fatal(err)
	}
	takeViolations(t, s, "would notify everyone")
}

func TestUnknownMethod(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)
	if _, err := botClient(s).GetUserInfoContext(ctx, "U1"); slackErr(err) != "unknown_method" {
		t.Errorf("users.info: err = %v; want unknown_method", err)
	}
	takeViolations(t, s, `unknown method "users.info"`)
}

// tbRecorder is a testing.TB that records errors and cleanups instead of acting.
type tbRecorder struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *tbRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *tbRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *tbRecorder) Helper()          {}

func TestCleanupReportsViolations(t *testing.T) {
	rec := &tbRecorder{TB: t}
	s := New(rec, Options{})
	ctx := testContext(t)
	if _, _, err := botClient(s).PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("", false)); slackErr(err) != "no_text" {
		t.Fatalf("err = %v; want no_text", err)
	}
	for _, f := range rec.cleanups {
		f()
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "no_text") {
		t.Errorf("cleanup errors = %q; want one about no_text", rec.errors)
	}
}
