package slack_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

// httpAdapter serves the adapter's Handler over HTTP, as Slack's HTTP mode
// reaches it, with a fakeslack signing what it sends.
func httpAdapter(t *testing.T, ro routerOptions) (*fakeslack.Server, *slack.Adapter, string) {
	t.Helper()
	fake, a := newAdapter(t, fakeslack.Options{AckDeadline: generousDeadline}, slack.Options{Router: adapterRouter(t, ro)})
	ctx, cancel := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.Handle(slack.EventsPath, a.Handler(ctx))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return fake, a, srv.URL + slack.EventsPath
}

func TestHTTPSlashCommand(t *testing.T) {
	fake, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	for _, tt := range []struct{ text, want string }{
		{"latest", "BGP"},
		{"takeaways 3", "Data Science"},
		{"frobnicate", "frobnicate"},
	} {
		res, err := fake.PostSlashCommand(ctx, endpoint, fakeslack.SlashCommand{Command: slashCommand, Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK || len(res.Problems) > 0 {
			t.Fatalf("%q: status %d, problems %v", tt.text, res.Status, res.Problems)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%q: Content-Type %q", tt.text, ct)
		}
		r := decodeReply(t, res.Body)
		if r.ResponseType != "ephemeral" || !strings.Contains(r.all(), tt.want) {
			t.Errorf("%q: reply %s %.300q; want it private, mentioning %q", tt.text, r.ResponseType, r.all(), tt.want)
		}
		if r.UnfurlLinks == nil || *r.UnfurlLinks {
			t.Errorf("%q: unfurl_links is not false", tt.text)
		}
	}
	if n := len(fake.Ephemerals(generalID)); n != 3 {
		t.Errorf("%d replies shown, want 3", n)
	}
}

// Anything not signed by Slack, with the current time, over these very bytes,
// is refused.
func TestHTTPRefusesBadSignatures(t *testing.T) {
	fake, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	for _, tt := range []struct {
		name string
		opt  fakeslack.SignOption
	}{
		{"wrong secret", fakeslack.WithSecret("not-the-signing-secret")},
		{"stale timestamp", fakeslack.WithTimestamp(time.Now().Add(-6 * time.Minute))},
		{"timestamp from the future", fakeslack.WithTimestamp(time.Now().Add(6 * time.Minute))},
		{"tampered body", fakeslack.WithTamperedBody()},
		{"no signature", fakeslack.WithoutSignature()},
		{"no timestamp", fakeslack.WithoutTimestamp()},
		{"not hex", fakeslack.WithSignature("v0=" + strings.Repeat("zz", 32))},
	} {
		res, err := fake.PostSlashCommand(ctx, endpoint, fakeslack.SlashCommand{Command: slashCommand, Text: "latest"}, tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tt.name, res.Status)
		}
		if strings.Contains(string(res.Body), "BGP") {
			t.Errorf("%s: the command was answered", tt.name)
		}
	}
	if n := len(fake.Ephemerals(generalID)) + len(fake.Messages(generalID)); n != 0 {
		t.Errorf("%d replies shown to refused requests", n)
	}
}

// countingReader is an endless body that counts what was read of it.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	r.n += int64(len(p))
	return len(p), nil
}

// A body over 1 MiB is refused with 413 without being read whole (nor
// signed: nothing is worth checking in it).
func TestHTTPRefusesHugeBody(t *testing.T) {
	_, a, endpoint := httpAdapter(t, routerOptions{})
	body := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, slack.EventsPath, io.LimitReader(body, 64<<20))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.Handler(adapterCtx(t)).ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	if body.n > 2<<20 {
		t.Errorf("read %d bytes of a 64 MiB body; the cap is 1 MiB", body.n)
	}

	// Over the network too.
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader("text="+strings.Repeat("a", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over HTTP: status %d, want 413", resp.StatusCode)
	}
}

func TestHTTPSlowCommand(t *testing.T) {
	g := newCmdGate()
	fake, _, endpoint := httpAdapter(t, routerOptions{slow: g})
	t.Cleanup(g.open)
	ctx := adapterCtx(t)
	res, err := fake.PostSlashCommand(ctx, endpoint, fakeslack.SlashCommand{Command: slashCommand, Text: "digest"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || len(strings.TrimSpace(string(res.Body))) != 0 || res.Late {
		t.Fatalf("status %d, body %q, late %v; want an empty 200 at once", res.Status, res.Body, res.Late)
	}
	g.waitStarted(t, ctx)
	g.open()
	rs, err := fake.WaitResponses(ctx, res.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].ResponseType != "ephemeral" || !strings.Contains(rs[0].Text, "Digest preview") {
		t.Errorf("response = %s", describeResponses(rs))
	}
}

// Slack checks the Events API URL with a signed url_verification challenge.
func TestHTTPURLVerification(t *testing.T) {
	fake, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	body := []byte(`{"token":"fakeslackverificationtoken","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	req, err := fake.SignedRequest(ctx, endpoint, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("status %d, body %q; want 200 and the challenge", resp.StatusCode, got)
	}

	// Unsigned, the same challenge is refused.
	req, err = fake.SignedRequest(ctx, endpoint, "application/json", body, fakeslack.WithoutSignature())
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned challenge: status %d, want 401", resp.StatusCode)
	}

	// Other events are acknowledged.
	res, err := fake.PostEvent(ctx, endpoint, map[string]any{"type": "app_mention", "user": "U0TESTUSER", "text": "<@U0FAKEBOT> hi", "channel": generalID, "ts": "1715590800.000100"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || len(res.Problems) > 0 {
		t.Errorf("event: status %d, problems %v", res.Status, res.Problems)
	}
}

// A button click over HTTP is acknowledged at once and answered through
// response_url.
func TestHTTPButtonClick(t *testing.T) {
	fake, a, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	m := postAnnouncement(t, ctx, fake, a)
	id := findButtonID(t, m.Blocks, slack.ActionCommand, slashCommand+" takeaways 3")

	res, err := fake.PostInteraction(ctx, endpoint, fakeslack.ButtonClick{ChannelID: generalID, MessageTS: m.TS, ActionID: id})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || len(res.Problems) > 0 {
		t.Fatalf("status %d, problems %v", res.Status, res.Problems)
	}
	rs, err := fake.WaitResponses(ctx, res.InvocationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].ResponseType != "ephemeral" || rs[0].ReplaceOriginal || !strings.Contains(rs[0].Text+string(rs[0].Blocks), "Data Science") {
		t.Errorf("response = %s; want episode 3's takeaways, privately", describeResponses(rs))
	}

	// A link button asks nothing of the bot: acknowledged, not answered.
	link := findButtonID(t, m.Blocks, slack.ActionLink, "")
	res, err = fake.PostInteraction(ctx, endpoint, fakeslack.ButtonClick{ChannelID: generalID, MessageTS: m.TS, ActionID: link})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK {
		t.Errorf("link click: status %d", res.Status)
	}
	// Nothing runs for it: no answer can come later.
	if rs := fake.Responses(res.InvocationID); len(rs) != 0 {
		t.Errorf("link click answered: %s", describeResponses(rs))
	}
}

// Slack's ssl_check is acknowledged.
func TestHTTPSSLCheck(t *testing.T) {
	fake, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	req, err := fake.SignedRequest(ctx, endpoint, "application/x-www-form-urlencoded", []byte("token=fakeslackverificationtoken&ssl_check=1"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("ssl_check: status %d, want 200", resp.StatusCode)
	}
}
