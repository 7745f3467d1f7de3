package fakeslack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// Test vector 1 of contract A2: Slack's worked example.
const (
	vector1Secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	vector1Timestamp = 1531420618
	vector1Body      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vector1Signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

// Test vector 2 of contract A2: slack-go v0.35.0 security_test.go (validSigningSecret,
// validBody copied byte for byte, newHeader).
const (
	vector2Secret    = "e6b19c573432dcc6b075501d51b51bb8"
	vector2Timestamp = 1531431954
	vector2Body      = `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`
	vector2Signature = "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c"
)

func TestSignVectors(t *testing.T) {
	for _, tc := range []struct {
		name, secret string
		ts           int64
		body, want   string
	}{
		{"vector 1 (Slack's example)", vector1Secret, vector1Timestamp, vector1Body, vector1Signature},
		{"vector 2 (slack-go)", vector2Secret, vector2Timestamp, vector2Body, vector2Signature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign(tc.secret, tc.ts, []byte(tc.body)); got != tc.want {
				t.Errorf("Sign(%q, %d, body) = %s; want %s", tc.secret, tc.ts, got, tc.want)
			}
			// The negative cases of A2 change the signature.
			if Sign(strings.Replace(tc.secret, tc.secret[len(tc.secret)-2:], "oo", 1), tc.ts, []byte(tc.body)) == tc.want {
				t.Errorf("a changed secret gives the same signature")
			}
			if Sign(tc.secret, tc.ts, []byte(tc.body+"------")) == tc.want {
				t.Errorf("a tampered body gives the same signature")
			}
			if Sign(tc.secret, tc.ts+1, []byte(tc.body)) == tc.want {
				t.Errorf("another timestamp gives the same signature")
			}
		})
	}
}

// verify checks a request with slack-go's verifier, as a bot would.
func verify(r *http.Request, secret string) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sv, err := slack.NewSecretsVerifier(r.Header, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

func TestSignedRequestOptions(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)
	body := []byte("a=b")
	for _, tc := range []struct {
		name  string
		opts  []SignOption
		valid bool
	}{
		{"valid", nil, true},
		{"wrong secret", []SignOption{WithSecret("not-the-secret")}, false},
		{"stale", []SignOption{WithTimestamp(time.Now().Add(-6 * time.Minute))}, false},
		{"future", []SignOption{WithTimestamp(time.Now().Add(6 * time.Minute))}, false},
		{"tampered", []SignOption{WithTamperedBody()}, false},
		{"no signature", []SignOption{WithoutSignature()}, false},
		{"no timestamp", []SignOption{WithoutTimestamp()}, false},
		{"not hex", []SignOption{WithSignature("v0=zz")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := s.SignedRequest(ctx, "http://127.0.0.1/", "application/x-www-form-urlencoded", body, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(req, s.SigningSecret()); (err == nil) != tc.valid {
				t.Errorf("slack-go verifier: err = %v; want valid %v", err, tc.valid)
			}
		})
	}
	// Vector 1 through NewSignedRequest.
	req, err := NewSignedRequest(ctx, vector1Secret, "http://127.0.0.1/", "application/x-www-form-urlencoded", []byte(vector1Body), time.Unix(vector1Timestamp, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get(HeaderSignature); got != vector1Signature || req.Header.Get(HeaderTimestamp) != "1531420618" {
		t.Errorf("headers = %v", req.Header)
	}
}

// commandEndpoint is a bot's HTTP slash-command endpoint: it verifies the signature
// with slack-go and answers with answer (after waiting for release, if set).
type commandEndpoint struct {
	secret  string
	answer  func(slack.SlashCommand) (status int, contentType, body string)
	mu      sync.Mutex
	got     []slack.SlashCommand
	rawBody []string
}

func (e *commandEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := verify(r, e.secret); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	e.got = append(e.got, cmd)
	e.rawBody = append(e.rawBody, string(body))
	e.mu.Unlock()
	status, ct, out := e.answer(cmd)
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

func TestPostSlashCommandHTTP(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)
	ep := &commandEndpoint{secret: s.SigningSecret(), answer: func(cmd slack.SlashCommand) (int, string, string) {
		return 200, "application/json", fmt.Sprintf(`{"response_type":"in_channel","text":"found %s"}`, cmd.Text)
	}}
	bot := httptest.NewServer(ep)
	defer bot.Close()

	res, err := s.PostSlashCommand(ctx, bot.URL, SlashCommand{Command: "/postmortem", Text: "search bgp", ChannelID: "C0GENERAL"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.Late || len(res.Problems) > 0 || res.ResponseURL == "" {
		t.Errorf("result = %+v", res)
	}
	cmd := ep.got[0]
	if cmd.Command != "/postmortem" || cmd.Text != "search bgp" || cmd.ChannelName != "general" || cmd.ResponseURL != res.ResponseURL || cmd.TriggerID != res.TriggerID {
		t.Errorf("endpoint got %+v", cmd)
	}
	// Fields in Slack's order, form-encoded.
	if raw := ep.rawBody[0]; !strings.HasPrefix(raw, "token=fakeslackverificationtoken&team_id=T0FAKETEAM&team_domain=fake-team&channel_id=C0GENERAL&channel_name=general&user_id=U0TESTUSER&user_name=tester&command=%2Fpostmortem&text=search+bgp&") {
		t.Errorf("body = %s", raw)
	}
	if msgs := s.Messages("C0GENERAL"); len(msgs) != 1 || msgs[0].Text != "found search bgp" || msgs[0].Via != ViaHTTPResponse {
		t.Errorf("in_channel answer: Messages = %+v", msgs)
	}

	// Altered signatures are refused by the endpoint; their answers are not checked.
	for _, opt := range []SignOption{WithSecret("wrong"), WithTimestamp(time.Now().Add(-10 * time.Minute)), WithTamperedBody(), WithoutSignature()} {
		res, err := s.PostSlashCommand(ctx, bot.URL, SlashCommand{Command: "/postmortem"}, opt)
		if err != nil || res.Status != http.StatusUnauthorized || len(res.Problems) > 0 {
			t.Errorf("altered delivery: %+v, %v; want 401 and no problem", res, err)
		}
	}

	// A plain-text answer is an ephemeral message.
	ep.answer = func(slack.SlashCommand) (int, string, string) { return 200, "text/plain", "just text" }
	if _, err := s.PostSlashCommand(ctx, bot.URL, SlashCommand{Command: "/postmortem"}); err != nil {
		t.Fatal(err)
	}
	if eph := s.Ephemerals("C0GENERAL"); len(eph) != 1 || eph[0].Text != "just text" {
		t.Errorf("Ephemerals = %+v", eph)
	}

	// A valid delivery answered with an error is a violation.
	ep.answer = func(slack.SlashCommand) (int, string, string) { return 500, "", "" }
	res, err = s.PostSlashCommand(ctx, bot.URL, SlashCommand{Command: "/postmortem"})
	if err != nil || len(res.Problems) != 1 {
		t.Errorf("500 answer: %+v, %v", res, err)
	}
	takeViolations(t, s, "answered with HTTP 500")
}

func TestPostSlashCommandDeadline(t *testing.T) {
	// The manual clock starts at the real time: deliveries are signed with the
	// server's clock, and the bot's verifier (slack-go's) uses the real one.
	clock := NewClock(time.Now())
	s := New(t, Options{Clock: clock.Now}) // the default 3 s deadline is what is tested
	ctx := testContext(t)
	ep := &commandEndpoint{secret: s.SigningSecret()}
	ep.answer = func(slack.SlashCommand) (int, string, string) {
		clock.Advance(4 * time.Second) // a slow handler
		return 200, "application/json", `{"text":"slow"}`
	}
	bot := httptest.NewServer(ep)
	defer bot.Close()
	res, err := s.PostSlashCommand(ctx, bot.URL, SlashCommand{Command: "/postmortem"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || !res.Late || res.Elapsed != 4*time.Second || len(s.Ephemerals("C0GENERAL")) != 0 {
		t.Errorf("slow answer: %+v; want late by a second, and its reply not shown", res)
	}
	takeViolations(t, s, "A3 ack deadline")
}

func TestPostInteractionAndEvent(t *testing.T) {
	s := New(t, Options{})
	ctx := testContext(t)
	_, ts, err := botClient(s).PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("b1", slack.NewButtonBlockElement("share", "17", slack.NewTextBlockObject(slack.PlainTextType, "Share", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	var got slack.InteractionCallback
	var gotEvent []byte
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verify(r, s.SigningSecret()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Content-Type") == "application/json" {
			gotEvent, _ = io.ReadAll(r.Body)
			return
		}
		cb, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = cb
	}))
	defer bot.Close()
	res, err := s.PostInteraction(ctx, bot.URL, ButtonClick{ChannelID: "C0GENERAL", MessageTS: ts, ActionID: "share"})
	if err != nil || res.Status != 200 || len(res.Problems) > 0 {
		t.Fatalf("PostInteraction = %+v, %v", res, err)
	}
	if got.Type != slack.InteractionTypeBlockActions || got.ActionCallback.BlockActions[0].BlockID != "b1" || got.ResponseURL != res.ResponseURL {
		t.Errorf("interaction = %+v", got)
	}
	res, err = s.PostEvent(ctx, bot.URL, map[string]any{"type": "app_mention", "text": "hi"})
	if err != nil || res.Status != 200 || !bytes.Contains(gotEvent, []byte(`"type":"event_callback"`)) {
		t.Errorf("PostEvent = %+v, %v; body %s", res, err, gotEvent)
	}
	if _, err := s.PostInteraction(ctx, bot.URL, ButtonClick{ChannelID: "C0GENERAL", MessageTS: ts, ActionID: "nope"}); !errors.Is(err, ErrNoSuchButton) {
		t.Errorf("PostInteraction on a missing button: err = %v", err)
	}
}
