package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// The tests of this file serve the adapter's Handler over HTTP, as Discord
// reaches an Interactions Endpoint URL, with fakediscord signing (or
// mis-signing) what it sends.

// httpAdapter serves the adapter's Handler on a test server and returns the
// endpoint's URL.
func httpAdapter(t *testing.T, ro routerOptions) (*fakediscord.Server, *discord.Adapter, string) {
	t.Helper()
	srv := newFake(t, fakediscord.Options{})
	a := newAdapter(t, srv, discord.Options{Router: adapterRouter(t, ro)})
	ctx, cancel := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.Handle(discord.InteractionsPath, a.Handler(ctx))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		hs.Close()
	})
	return srv, a, hs.URL + discord.InteractionsPath
}

// post delivers a signed interaction and checks it was answered 200.
func post(t *testing.T, ctx context.Context, srv *fakediscord.Server, endpoint string, in fakediscord.Interaction) fakediscord.HTTPResult {
	t.Helper()
	res, err := srv.PostInteraction(ctx, endpoint, in)
	if err != nil {
		t.Fatalf("PostInteraction: %v", err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", res.Status, res.Body)
	}
	if res.Record.Response == nil || !res.Record.Response.HTTP {
		t.Fatalf("the answer is not in the HTTP response: %+v", res.Record.Response)
	}
	return res
}

// Discord's checks of the endpoint: a signed PING gets {"type":1}; anything
// not signed by Discord's key over these very bytes gets 401.
func TestHTTPEndpointChecks(t *testing.T) {
	srv, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	if err := srv.CheckEndpoint(ctx, endpoint); err != nil {
		t.Fatalf("CheckEndpoint: %v", err)
	}

	res := post(t, ctx, srv, endpoint, fakediscord.Interaction{Type: fakediscord.InteractionPing})
	var pong map[string]any
	if err := json.Unmarshal(res.Body, &pong); err != nil {
		t.Fatalf("PING answered %q: %v", res.Body, err)
	}
	if diff := cmp.Diff(map[string]any{"type": float64(1)}, pong); diff != "" {
		t.Errorf("PING answer (-want +got):\n%s", diff)
	}

	// A command, badly signed, is neither answered nor run.
	for _, tt := range []struct {
		name string
		opt  fakediscord.PostOption
	}{
		{"signed with another key", fakediscord.WithBadSignature()},
		{"tampered body", fakediscord.WithTamperedBody()},
		{"no signature", fakediscord.WithoutSignature()},
		{"no timestamp", fakediscord.WithoutTimestamp()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := srv.PostInteraction(ctx, endpoint, slash("episode", str("episode", "3")), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", res.Status)
			}
			if strings.Contains(string(res.Body), "Data Science") {
				t.Errorf("the command was answered: %.200s", res.Body)
			}
		})
	}
}

// rfc8032Key is the private key of the contract's B3 test vector (RFC 8032
// TEST 1), which fakediscord signs with by default.
func rfc8032Key(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	seed, err := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// rawPost sends body to the endpoint with these signature headers ("" leaves
// one out) and returns the status and body of the answer.
func rawPost(t *testing.T, ctx context.Context, method, endpoint, ts, sig string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ts != "" {
		req.Header.Set("X-Signature-Timestamp", ts)
	}
	if sig != "" {
		req.Header.Set("X-Signature-Ed25519", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, got
}

// The contract's test vector (B3), and what the endpoint does with requests
// that are not interactions.
func TestHTTPRequests(t *testing.T) {
	_, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	const (
		vectorTS   = "1608597133"
		vectorBody = `{"id":"787053080478613555","token":"ThisIsATokenFromDiscordThatIsVeryLong","type":1,"version":1}`
		vectorSig  = "e0723ca3a8d8a4264a0968b8ed00da6a9a4ab703d65d15c0360ff659e81bbbb0dabcc8fdcc3fcccd0b068e935a432387a75dacd1ee335de77a5fd6fa7266ab03"
	)
	key := rfc8032Key(t)
	sign := func(ts, body string) string { return fakediscord.Sign(key, ts, []byte(body)) }
	notJSON := "this is not JSON"
	modal := `{"id":"1","token":"t","type":5,"version":1}`
	tests := []struct {
		name       string
		method     string
		ts, sig    string
		body       string
		wantStatus int
		wantBody   string // "" for any
	}{
		{"vector", http.MethodPost, vectorTS, vectorSig, vectorBody, 200, `{"type":1}`},
		{"vector, body with a trailing space", http.MethodPost, vectorTS, vectorSig, vectorBody + " ", 401, ""},
		{"vector, another timestamp", http.MethodPost, "1608597134", vectorSig, vectorBody, 401, ""},
		{"signature not hex", http.MethodPost, vectorTS, strings.Repeat("zz", 64), vectorBody, 401, ""},
		{"signature too short", http.MethodPost, vectorTS, vectorSig[:126], vectorBody, 401, ""},
		{"signed, not JSON", http.MethodPost, vectorTS, sign(vectorTS, notJSON), notJSON, 400, ""},
		{"signed modal submit, not handled", http.MethodPost, vectorTS, sign(vectorTS, modal), modal, 400, ""},
		{"GET", http.MethodGet, vectorTS, vectorSig, "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawPost(t, ctx, tt.method, endpoint, tt.ts, tt.sig, []byte(tt.body))
			if status != tt.wantStatus {
				t.Errorf("status %d (%q), want %d", status, body, tt.wantStatus)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
		})
	}

	// A body over 1 MiB is refused before its signature is checked.
	huge := bytes.Repeat([]byte("a"), 1<<20+10)
	if status, _ := rawPost(t, ctx, http.MethodPost, endpoint, vectorTS, fakediscord.Sign(key, vectorTS, huge), huge); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: status %d, want 413", status)
	}
}

// Commands, clicks and autocomplete are answered in the HTTP response, as on
// the gateway.
func TestHTTPInteractions(t *testing.T) {
	srv, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	autocomplete := fakediscord.Interaction{Type: fakediscord.InteractionAutocomplete, Name: appCommand, Options: []fakediscord.CommandOption{
		{Name: "episode", Type: 1, Options: []fakediscord.CommandOption{{Name: "episode", Type: 3, Value: "3", Focused: true}}},
	}}
	tests := []struct {
		name   string
		in     fakediscord.Interaction
		locale string
		want   answer
		words  string
	}{
		{"episode 3", slash("episode", str("episode", "3")), "", privateShareable, "Data Science"},
		{"episode 3 in French", slash("episode", str("episode", "3")), "fr", privateShareable, "Partager dans le canal"},
		{"search", slash("search", str("words", "bgp")), "", privateShareable, "BGP"},
		{"command button", click("pmbot:cmd@pmbot-d4:/postmortem takeaways 3"), "", privateShareable, "Data Science"},
		{"share button", click("pmbot:share:/postmortem episode 3"), "", public, "Data Science"},
		{"unknown button", click("not-ours"), "", privateOnly, "does not do anything"},
		{"autocomplete", autocomplete, "", answer{Type: fakediscord.CallbackAutocompleteResult}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Locale = tt.locale
			r := post(t, ctx, srv, endpoint, tt.in).Record.Response
			if diff := cmp.Diff(tt.want, summarize(r.Message, r.Type)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if r.Type == fakediscord.CallbackAutocompleteResult {
				if len(r.Choices) != 1 || r.Choices[0].Value != "3" {
					t.Errorf("choices %+v, want episode 3", r.Choices)
				}
				return
			}
			if text := messageText(*r.Message); !strings.Contains(text, tt.words) {
				t.Errorf("the answer does not say %q:\n%.600s", tt.words, text)
			}
		})
	}
	if n := len(srv.Messages(generalID)); n != 1 {
		t.Errorf("%d messages in the channel, want 1 (the share)", n)
	}
}

// A command that cannot answer at once is deferred through REST (the request
// is answered 202 with no body, contract B2), then completed by editing the
// deferred answer.
func TestHTTPDeferred(t *testing.T) {
	tests := []struct {
		name  string
		in    fakediscord.Interaction
		ro    func(*gate) routerOptions
		words string
	}{
		{"Slow command", slash("digest"), func(g *gate) routerOptions { return routerOptions{digest: g} }, "Digest preview"},
		{"blocked command", slash("status"), func(g *gate) routerOptions { return routerOptions{status: g} }, "v9.9.9-test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			t.Cleanup(g.open)
			srv, _, endpoint := httpAdapter(t, tt.ro(g))
			ctx := adapterCtx(t)

			res, err := srv.PostInteraction(ctx, endpoint, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusAccepted || len(res.Body) != 0 {
				t.Fatalf("status %d, body %q; want 202 and no body", res.Status, res.Body)
			}
			r := res.Record.Response
			if r == nil || r.HTTP {
				t.Fatalf("the deferral did not come through REST before the 202: %+v", r)
			}
			if f := deferredFlags(t, r); f != fakediscord.FlagEphemeral {
				t.Errorf("deferred with flags %d, want 64", f)
			}
			g.waitStarted(t, ctx)
			g.open()
			done := waitOriginal(t, ctx, srv, res.Record.Interaction.ID)
			if text := messageText(*done.Original); !strings.Contains(text, tt.words) {
				t.Errorf("the completed answer does not say %q:\n%.600s", tt.words, text)
			}
			if done.Original.Flags&fakediscord.FlagEphemeral == 0 {
				t.Error("the completed answer is public")
			}
		})
	}
}

// A Slow command whose reply is ready as soon as it is deferred: the
// completion never reaches Discord before the deferral does. (With the
// deferral in the HTTP response, it often did, and Discord refused it.)
func TestHTTPDeferredThenAtOnce(t *testing.T) {
	srv, _, endpoint := httpAdapter(t, routerOptions{})
	ctx := adapterCtx(t)
	deferred := 0
	for i := 0; i < 30; i++ {
		res, err := srv.PostInteraction(ctx, endpoint, slash("digest"))
		if err != nil {
			t.Fatal(err)
		}
		switch res.Status {
		case http.StatusOK: // the reply was ready before the deferral
			if r := res.Record.Response; r == nil || r.Type != fakediscord.CallbackMessage {
				t.Fatalf("answer %+v, want type 4", r)
			}
		case http.StatusAccepted:
			deferred++
			done := waitOriginal(t, ctx, srv, res.Record.Interaction.ID)
			if !strings.Contains(messageText(*done.Original), "Digest preview") {
				t.Fatalf("completed answer %+v", done.Original)
			}
		default:
			t.Fatalf("status %d (%q)", res.Status, res.Body)
		}
	}
	if deferred == 0 {
		t.Log("every reply beat its deferral: the race this test is about was not exercised")
	}
}

// signedInteraction is an interaction fakediscord cannot send: a member with
// these permissions (nil: a DM), signed with Discord's test key.
func signedInteraction(t *testing.T, id int, perms *string, locale string, sub string) (ts, sig string, body []byte) {
	t.Helper()
	user := map[string]any{"id": "200000000000000009", "username": "someone", "discriminator": "0"}
	p := map[string]any{
		"id": strconv.Itoa(900000000000000000 + id), "application_id": "100000000000000001", "type": 2,
		"token": fmt.Sprintf("itoken-manage-%d", id), "version": 1, "locale": locale,
		"channel_id": generalID,
		"data": map[string]any{"id": "1", "name": channelCommand, "type": 1, "options": []any{
			map[string]any{"name": sub, "type": 1},
		}},
	}
	if perms != nil {
		p["guild_id"] = guildID
		p["member"] = map[string]any{"user": user, "roles": []any{}, "permissions": *perms}
	} else {
		p["user"] = user
	}
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	ts = "1715590800"
	return ts, fakediscord.Sign(rfc8032Key(t), ts, body), body
}

// Subscribe and unsubscribe run for members with Manage Channels (1<<4) or
// Administrator (1<<3) in the channel, and are refused to others, in their
// language.
func TestHTTPManageRights(t *testing.T) {
	subs := &recordingSubs{}
	_, _, endpoint := httpAdapter(t, routerOptions{subs: subs})
	ctx := adapterCtx(t)
	perm := func(p int64) *string { s := strconv.FormatInt(p, 10); return &s }
	tests := []struct {
		name   string
		perms  *string
		locale string
		sub    string
		call   string // the subscription call made, "" for none
		words  string
		flags  int
	}{
		{"member", perm(2048), "en-US", "subscribe", "", "you need permission to manage this channel", 64},
		{"member, in French", perm(2048 | 1<<5), "fr", "unsubscribe", "", "il faut avoir le droit de gérer ce canal", 64},
		{"Manage Channels", perm(2048 | 1<<4), "en-US", "subscribe", "subscribe discord " + generalID, "Subscribed", 0},
		{"Administrator", perm(1 << 3), "en-US", "unsubscribe", "unsubscribe discord " + generalID, "", 0},
		{"DM", nil, "en-US", "subscribe", "", "you need permission to manage this channel", 64},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(subs.Calls())
			ts, sig, body := signedInteraction(t, i, tt.perms, tt.locale, tt.sub)
			status, got := rawPost(t, ctx, http.MethodPost, endpoint, ts, sig, body)
			if status != http.StatusOK {
				t.Fatalf("status %d (%q), want 200", status, got)
			}
			var r struct {
				Type int `json:"type"`
				Data struct {
					Flags  int `json:"flags"`
					Embeds []struct {
						Title       string `json:"title"`
						Description string `json:"description"`
					} `json:"embeds"`
					Content string `json:"content"`
				} `json:"data"`
			}
			if err := json.Unmarshal(got, &r); err != nil {
				t.Fatalf("answer %q: %v", got, err)
			}
			type outcome struct {
				Type, Flags int
				Calls       []string
			}
			var calls []string
			if tt.call != "" {
				calls = []string{tt.call}
			}
			if diff := cmp.Diff(outcome{4, tt.flags, calls}, outcome{r.Type, r.Data.Flags, subs.Calls()[before:]}, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			text := r.Data.Content
			for _, e := range r.Data.Embeds {
				text += "\n" + e.Title + "\n" + e.Description
			}
			if !strings.Contains(text, tt.words) {
				t.Errorf("the answer does not say %q:\n%s", tt.words, text)
			}
		})
	}
}

// Without a public key there is no endpoint.
func TestHTTPNoPublicKey(t *testing.T) {
	srv := newFake(t, fakediscord.Options{})
	a, err := discord.New(discord.Options{BotToken: srv.BotToken(), ApplicationID: srv.AppID(), APIURL: srv.APIURL(), Router: adapterRouter(t, routerOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	if h := a.Handler(adapterCtx(t)); h != nil {
		t.Errorf("Handler = %v without a public key, want nil", h)
	}
}
