package fakediscord_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// The contract B3 test vector (RFC 8032 TEST 1 key pair).
func TestSignVector(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	key := ed25519.NewKeyFromSeed(seed)
	if got := hex.EncodeToString(key.Public().(ed25519.PublicKey)); got != "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" {
		t.Fatalf("public key = %s", got)
	}
	if got := hex.EncodeToString(ed25519.Sign(key, nil)); got != "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" {
		t.Fatalf("RFC 8032 empty-message signature = %s", got)
	}
	body := []byte(`{"id":"787053080478613555","token":"ThisIsATokenFromDiscordThatIsVeryLong","type":1,"version":1}`)
	const want = "e0723ca3a8d8a4264a0968b8ed00da6a9a4ab703d65d15c0360ff659e81bbbb0dabcc8fdcc3fcccd0b068e935a432387a75dacd1ee335de77a5fd6fa7266ab03"
	if len(body) != 96 {
		t.Fatalf("body is %d bytes", len(body))
	}
	if got := fakediscord.Sign(key, "1608597133", body); got != want {
		t.Fatalf("signature = %s", got)
	}
	sig, _ := hex.DecodeString(want)
	pub := key.Public().(ed25519.PublicKey)
	if ed25519.Verify(pub, append([]byte("1608597133"), append(body, ' ')...), sig) ||
		ed25519.Verify(pub, append([]byte("1608597134"), body...), sig) {
		t.Fatal("negative vectors verified")
	}
	// The fake's default key is this one.
	srv := fakediscord.New(t, fakediscord.Options{})
	if srv.PublicKeyHex() != "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" {
		t.Fatalf("default public key = %s", srv.PublicKeyHex())
	}
}

// endpoint is a minimal HTTP interactions endpoint using discordgo.VerifyInteraction.
func endpoint(t *testing.T, pub ed25519.PublicKey, verify bool) string {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if verify && !discordgo.VerifyInteraction(r, pub) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var in discordgo.Interaction
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if in.Type == discordgo.InteractionPing {
			io.WriteString(w, `{"type":1}`)
			return
		}
		io.WriteString(w, `{"type":4,"data":{"content":"pong <@1>","allowed_mentions":{"parse":[]}}}`)
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL + "/discord/interactions"
}

func TestPostInteraction(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	url := endpoint(t, srv.PublicKey(), true)
	ctx := ctxT(t)
	if err := srv.CheckEndpoint(ctx, url); err != nil {
		t.Fatal(err)
	}
	res, err := srv.PostInteraction(ctx, url, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem"})
	if err != nil || res.Status != 200 || res.Record.Response == nil || !res.Record.Response.HTTP || res.Record.Response.Message.Content != "pong <@1>" {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = srv.PostInteraction(ctx, url, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "x"}, fakediscord.WithBadSignature())
	if err != nil || res.Status != 401 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestPostInteractionUnverifiedEndpoint(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{AllowViolations: true})
	url := endpoint(t, srv.PublicKey(), false)
	err := srv.CheckEndpoint(ctxT(t), url)
	if err == nil || !strings.Contains(err.Error(), "B3 signature") {
		t.Fatalf("CheckEndpoint = %v", err)
	}
	if n := len(srv.TakeViolations()); n != 4 {
		t.Fatalf("%d violations, want 4", n)
	}
}
