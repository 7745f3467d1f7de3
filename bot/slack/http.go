package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// EventsPath is where Slack's HTTP mode sends slash commands, clicks and events
// (Bolt's convention).
const EventsPath = "/slack/events"

// maxRequestBody caps what /slack/events reads: Slack's payloads are a few KB.
const maxRequestBody = 1 << 20

// signatureWindow is how far a request's timestamp may be from now, either way.
const signatureWindow = 5 * time.Minute

// errBadSignature is any failure to prove a request came from Slack.
var errBadSignature = errors.New("slack: request signature not valid")

// verify checks Slack's v0 signature of a request body: HMAC-SHA256 of
// "v0:<timestamp>:<body>" keyed with the signing secret, a timestamp within five
// minutes of now either way, compared in constant time.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return errBadSignature
	}
	tsText := h.Get("X-Slack-Request-Timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > signatureWindow || d < -signatureWindow {
		return errBadSignature
	}
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	got, err := hex.DecodeString(sig)
	if !ok || err != nil {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + tsText + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	return nil
}

// Handler serves /slack/events for Slack's HTTP mode: slash commands, button
// clicks and events, each signed by Slack (anything else gets 401), answered
// within Slack's 3 seconds. ctx bounds the replies that follow through
// response_url.
func (a *Adapter) Handler(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		// MaxBytesReader stops reading at the cap (and closes the
		// connection): a huge body is never read whole.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "request body unreadable", http.StatusBadRequest)
			return
		}
		if err := verify(a.opts.SigningSecret, r.Header, body, a.now()); err != nil {
			a.log.Warn("refused a request to /slack/events: its signature is not Slack's", "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			a.serveEvent(w, body)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if p := form.Get("payload"); p != "" {
			a.serveClick(ctx, w, p)
			return
		}
		if form.Get("ssl_check") == "1" {
			// Slack checking the endpoint's certificate: nothing to do.
			w.WriteHeader(http.StatusOK)
			return
		}
		if form.Get("command") != "" {
			a.serveCommand(ctx, w, form)
			return
		}
		http.Error(w, "unknown request", http.StatusBadRequest)
	})
}

// serveCommand answers a slash command in the HTTP response when the reply is
// ready in time, else acknowledges it empty and answers through response_url.
func (a *Adapter) serveCommand(ctx context.Context, w http.ResponseWriter, form url.Values) {
	inv := invocation{text: form.Get("text"), userID: form.Get("user_id"), channelID: form.Get("channel_id"), responseURL: form.Get("response_url")}
	acked := make(chan *response, 1)
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		a.answer(ctx, inv, func(r *response) bool { acked <- r; return true })
	}()
	r := <-acked
	if r == nil {
		w.WriteHeader(http.StatusOK) // acknowledged; the reply follows
		return
	}
	body, err := json.Marshal(r)
	if err != nil {
		// Cannot happen with our payloads; the user gets Slack's error.
		a.log.Error("command reply could not be encoded", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// serveClick acknowledges a button click at once and answers it through
// response_url.
func (a *Adapter) serveClick(ctx context.Context, w http.ResponseWriter, payload string) {
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if inv, ok := clicked(cb); ok {
		a.inflight.Add(1)
		go func() {
			defer a.inflight.Done()
			a.answer(ctx, inv, noPayload)
		}()
	}
	w.WriteHeader(http.StatusOK)
}

// serveEvent answers the Events API's URL verification; no other event is
// subscribed, and any is acknowledged.
func (a *Adapter) serveEvent(w http.ResponseWriter, body []byte) {
	var e struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if e.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, e.Challenge)
		return
	}
	w.WriteHeader(http.StatusOK)
}
