package fakediscord_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

const chanID = "300000000000000003"

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func session(t *testing.T, srv *fakediscord.Server, token string) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = srv.HTTPClient()
	dg.ShouldRetryOnRateLimit = false
	dg.LogLevel = -1
	if os.Getenv("FD_DEBUG") != "" {
		dg.LogLevel = discordgo.LogInformational
	}
	return dg
}

func restCode(t *testing.T, err error) (int, int) {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		t.Fatalf("want a RESTError, got %v", err)
	}
	code := 0
	if re.Message != nil {
		code = re.Message.Code
	}
	return re.Response.StatusCode, code
}

func rules(vs []fakediscord.Violation) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Rule)
	}
	return strings.Join(out, ",")
}

func TestCreateMessageWithDiscordgo(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	m, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{
		Content:         "New episode",
		Embeds:          []*discordgo.MessageEmbed{{Title: "Ep 1", Description: "d", Fields: []*discordgo.MessageEmbedField{{Name: "n", Value: "v"}}}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Listen", Style: discordgo.LinkButton, URL: "https://example.com/ep1"},
			discordgo.Button{Label: "Takeaways", Style: discordgo.PrimaryButton, CustomID: "pmbot:takeaways:1"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Messages(chanID)
	if len(got) != 1 || got[0].ID != m.ID || got[0].Content != "New episode" || got[0].Embeds[0].Title != "Ep 1" {
		t.Fatalf("messages = %+v, returned %+v", got, m)
	}
	if got[0].Components[0].Components[1].CustomID != "pmbot:takeaways:1" || len(m.Components) != 1 {
		t.Fatalf("components not kept: %+v / %+v", got[0].Components, m.Components)
	}
	// History (the look-up after a crash) returns it, newest first.
	hist, err := dg.ChannelMessages(chanID, 10, "", "", "")
	if err != nil || len(hist) != 1 || hist[0].ID != m.ID {
		t.Fatalf("history = %+v, %v", hist, err)
	}
}

func TestUseGlobals(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	srv.UseGlobals(t)
	dg, _ := discordgo.New("Bot " + srv.BotToken())
	if _, err := dg.ChannelMessageSend(chanID, "hello"); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages(chanID)) != 1 {
		t.Fatal("message not recorded")
	}
}

func TestAuthAndChannelErrors(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{Channels: []fakediscord.Channel{
		{ID: chanID, GuildID: "1"},
		{ID: "5", GuildID: "1", NoAccess: true},
		{ID: "6", GuildID: "1", Type: fakediscord.ChannelTypeForum},
	}})
	_, err := session(t, srv, "wrong").ChannelMessageSend(chanID, "x")
	if st, code := restCode(t, err); st != 401 || code != 0 {
		t.Fatalf("bad token: %d %d", st, code)
	}
	dg := session(t, srv, srv.BotToken())
	_, err = dg.ChannelMessageSend("999", "x")
	if st, code := restCode(t, err); st != 404 || code != 10003 {
		t.Fatalf("unknown channel: %d %d", st, code)
	}
	_, err = dg.ChannelMessageSend("5", "x")
	if st, code := restCode(t, err); st != 403 || code != 50001 {
		t.Fatalf("no access: %d %d", st, code)
	}
	_, err = dg.ChannelMessageSend("6", "x")
	if st, code := restCode(t, err); st != 400 || code != 50008 {
		t.Fatalf("forum: %d %d", st, code)
	}
	if n := srv.Stats().InvalidRequests; n != 2 {
		t.Fatalf("invalid requests = %d, want 2", n)
	}
	// Posting into a forum is how a bot may learn its type: an answer, not a violation.
	if v := srv.Violations(); len(v) != 0 {
		t.Fatalf("violations = %v", v)
	}
}

func TestMessageLimits(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{ChannelRate: fakediscord.NoLimit()})
	dg := session(t, srv, srv.BotToken())
	long := func(n int) string { return strings.Repeat("a", n) }
	fields := func(n int) []*discordgo.MessageEmbedField {
		var f []*discordgo.MessageEmbedField
		for range n {
			f = append(f, &discordgo.MessageEmbedField{Name: "n", Value: "v"})
		}
		return f
	}
	row := func(cs ...discordgo.MessageComponent) discordgo.MessageComponent {
		return discordgo.ActionsRow{Components: cs}
	}
	btn := func(id string) discordgo.MessageComponent {
		return discordgo.Button{Label: "b", Style: discordgo.PrimaryButton, CustomID: id}
	}
	cases := map[string]*discordgo.MessageSend{
		"content":      {Content: long(2001)},
		"title":        {Embeds: []*discordgo.MessageEmbed{{Title: long(257)}}},
		"description":  {Embeds: []*discordgo.MessageEmbed{{Description: long(4097)}}},
		"fields":       {Embeds: []*discordgo.MessageEmbed{{Fields: fields(26)}}},
		"field value":  {Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{{Name: "n", Value: long(1025)}}}}},
		"footer":       {Embeds: []*discordgo.MessageEmbed{{Footer: &discordgo.MessageEmbedFooter{Text: long(2049)}}}},
		"author":       {Embeds: []*discordgo.MessageEmbed{{Author: &discordgo.MessageEmbedAuthor{Name: long(257)}}}},
		"total":        {Embeds: []*discordgo.MessageEmbed{{Description: long(4000)}, {Description: long(2001)}}},
		"embeds":       {Embeds: make([]*discordgo.MessageEmbed, 11)},
		"rows":         {Components: []discordgo.MessageComponent{row(btn("1")), row(btn("2")), row(btn("3")), row(btn("4")), row(btn("5")), row(btn("6"))}},
		"row width":    {Components: []discordgo.MessageComponent{row(btn("1"), btn("2"), btn("3"), btn("4"), btn("5"), btn("6"))}},
		"label":        {Components: []discordgo.MessageComponent{row(discordgo.Button{Label: long(81), Style: 1, CustomID: "x"})}},
		"url":          {Components: []discordgo.MessageComponent{row(discordgo.Button{Label: "l", Style: discordgo.LinkButton, URL: "https://e.com/" + long(500)})}},
		"custom_id":    {Components: []discordgo.MessageComponent{row(btn(long(101)))}},
		"duplicate id": {Components: []discordgo.MessageComponent{row(btn("x"), btn("x"))}},
		"mentions":     {Content: "x", AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{"users"}, Users: []string{"1"}}},
	}
	for i := range cases["embeds"].Embeds {
		cases["embeds"].Embeds[i] = &discordgo.MessageEmbed{Title: "t"}
	}
	for name, m := range cases {
		_, err := dg.ChannelMessageSendComplex(chanID, m)
		st, code := restCode(t, err)
		if st != 400 || code != 50035 {
			t.Errorf("%s: %d %d, want 400 50035", name, st, code)
		}
		var re *discordgo.RESTError
		errors.As(err, &re)
		var body struct {
			Errors map[string]any `json:"errors"`
		}
		if json.Unmarshal(re.ResponseBody, &body) != nil || len(body.Errors) == 0 {
			t.Errorf("%s: no errors object in %s", name, re.ResponseBody)
		}
	}
	if v := srv.TakeViolations(); len(v) != len(cases) {
		t.Fatalf("%d violations, want %d: %v", len(v), len(cases), v)
	}
	// At the limits, inclusive, is fine.
	if _, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{
		Content: long(2000),
		Embeds:  []*discordgo.MessageEmbed{{Title: long(256), Description: long(4096)}, {Description: " " + long(1648) + " "}},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestNonceAndMentions(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	send := func(body map[string]any) *discordgo.Message {
		t.Helper()
		b, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(chanID), body, discordgo.EndpointChannelMessages(chanID))
		if err != nil {
			t.Fatal(err)
		}
		var m discordgo.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	quiet := map[string]any{"parse": []string{}}
	a := send(map[string]any{"content": "ep", "nonce": "pmbot-d-42", "enforce_nonce": true, "allowed_mentions": quiet})
	b := send(map[string]any{"content": "ep", "nonce": "pmbot-d-42", "enforce_nonce": true, "allowed_mentions": quiet})
	if a.ID != b.ID || len(srv.Messages(chanID)) != 1 {
		t.Fatalf("nonce not enforced: %s %s, %d messages", a.ID, b.ID, len(srv.Messages(chanID)))
	}
	send(map[string]any{"content": "ep", "nonce": "pmbot-d-42", "allowed_mentions": quiet})
	if len(srv.Messages(chanID)) != 2 {
		t.Fatal("nonce without enforce_nonce must not deduplicate")
	}
	send(map[string]any{"content": "hi @everyone and <@123>", "allowed_mentions": quiet})
	if v := srv.Violations(); len(v) != 0 {
		t.Fatalf("violations with parse [] = %v", v)
	}
	send(map[string]any{"content": "hi @everyone"})
	if v := srv.TakeViolations(); rules(v) != "B5 allowed_mentions" {
		t.Fatalf("violations = %v", v)
	}
}

func TestRateLimit(t *testing.T) {
	clock := fakediscord.NewClock(time.Unix(1_700_000_000, 0))
	srv := fakediscord.New(t, fakediscord.Options{Clock: clock.Now, ChannelRate: fakediscord.Rate{N: 2, Per: 5 * time.Second}})
	post := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.APIURL()+"channels/"+chanID+"/messages", strings.NewReader(`{"content":"x"}`))
		req.Header.Set("Authorization", "Bot "+srv.BotToken())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for i := range 2 {
		resp := post()
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "2" || resp.Header.Get("X-RateLimit-Remaining") != []string{"1", "0"}[i] ||
			resp.Header.Get("X-RateLimit-Reset-After") != "5.000" || resp.Header.Get("X-RateLimit-Bucket") == "" || resp.Header.Get("X-RateLimit-Reset") != "1700000005.000" {
			t.Fatalf("call %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	clock.Advance(1500 * time.Millisecond)
	resp := post()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rl struct {
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
		Global     *bool   `json:"global"`
	}
	if resp.StatusCode != 429 || json.Unmarshal(body, &rl) != nil || rl.RetryAfter != 3.5 || rl.Global == nil || *rl.Global || rl.Message == "" ||
		resp.Header.Get("Retry-After") != "4" || resp.Header.Get("X-RateLimit-Scope") != "user" {
		t.Fatalf("429: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	if len(srv.Violations()) != 0 {
		t.Fatal("a first 429 is not a violation")
	}
	post().Body.Close() // before retry_after: a violation
	if v := srv.TakeViolations(); rules(v) != "B6 retry_after" {
		t.Fatalf("violations = %v", v)
	}
	clock.Advance(3500 * time.Millisecond)
	if resp := post(); resp.StatusCode != 200 {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
	if st := srv.Stats(); st.RateLimited != 2 || st.InvalidRequests != 2 {
		t.Fatalf("stats = %+v", st)
	}
	if len(srv.Messages(chanID)) != 3 {
		t.Fatal("want 3 messages")
	}
}

func TestGlobalRateLimit(t *testing.T) {
	clock := fakediscord.NewClock(time.Unix(1_700_000_000, 0))
	srv := fakediscord.New(t, fakediscord.Options{Clock: clock.Now, GlobalRate: fakediscord.Rate{N: 3, Per: time.Second}})
	get := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.APIURL()+"users/@me", nil)
		req.Header.Set("Authorization", "Bot "+srv.BotToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for range 3 {
		if r := get(); r.StatusCode != 200 {
			t.Fatal(r.Status)
		}
	}
	r := get()
	if r.StatusCode != 429 || r.Header.Get("X-RateLimit-Global") != "true" || r.Header.Get("X-RateLimit-Scope") != "global" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("%d %v", r.StatusCode, r.Header)
	}
	clock.Advance(time.Second)
	if r := get(); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
}

func TestWaitMessages(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	go func() {
		_, _ = dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "later", AllowedMentions: quiet})
	}()
	ms, err := srv.WaitMessages(ctxT(t), chanID, 1)
	if err != nil || ms[0].Content != "later" {
		t.Fatalf("%+v %v", ms, err)
	}
}
