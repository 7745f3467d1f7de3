package discord

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// InteractionsPath is where Discord POSTs interactions when the application's
// Interactions Endpoint URL points at the bot.
const InteractionsPath = "/discord/interactions"

// maxRequestBody caps what the endpoint reads: interactions are a few KB.
const maxRequestBody = 1 << 20

// firstResponseWait is how long the endpoint waits for an interaction's first
// response; interact gives it well within Discord's 3 seconds.
const firstResponseWait = 3 * time.Second

// Handler serves Discord's HTTP interactions: the Ed25519 signature checked
// (401 otherwise, which Discord tests on purpose), PING answered with PONG,
// commands, clicks and autocomplete answered in the response, with the same
// handlers as the gateway; a deferral and what follows it go through REST
// (the request is then answered 202). ctx is the bot's life:
// answers under way finish when it ends (see Wait). Nil without a public key.
func (a *Adapter) Handler(ctx context.Context) http.Handler {
	if a.key == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil || len(body) > maxRequestBody {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := verify(a.key, r.Header, body); err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		var i discordgo.Interaction
		if err := json.Unmarshal(body, &i); err != nil {
			http.Error(w, "not an interaction", http.StatusBadRequest)
			return
		}
		switch i.Type {
		case discordgo.InteractionPing:
			writeJSON(w, []byte(`{"type":1}`))
			return
		case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent, discordgo.InteractionApplicationCommandAutocomplete:
		default:
			http.Error(w, "interaction type not handled", http.StatusBadRequest)
			return
		}
		// first is the response to write: a callback body, or nil for 202
		// when the callback went through REST.
		first := make(chan []byte, 1)
		sent := make(chan error, 1)
		respond := func(ctx context.Context, resp *discordgo.InteractionResponse) error {
			if resp.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource {
				// A deferral is completed through REST as soon as the reply
				// is ready. In the HTTP response, it may reach Discord after
				// that completion, which Discord then refuses (10015): sent
				// through REST, it is registered before the call returns, and
				// the request is answered 202 with no body (contract B2).
				if err := a.restResponder(&i)(ctx, resp); err == nil {
					first <- nil
					return nil
				}
				// REST failed: the HTTP response is still a way.
			}
			b, err := marshalCallback(resp)
			if err != nil {
				return err
			}
			first <- b
			return <-sent
		}
		a.inflight.Add(1)
		go func() {
			defer a.inflight.Done()
			a.interact(ctx, &i, respond)
		}()
		t := time.NewTimer(firstResponseWait)
		defer t.Stop()
		select {
		case b := <-first:
			if b == nil {
				w.WriteHeader(http.StatusAccepted)
				sent <- nil
				return
			}
			err := writeJSON(w, b)
			if err == nil {
				// The deferral must reach Discord before its completion.
				err = http.NewResponseController(w).Flush()
			}
			sent <- err
		case <-t.C:
			sent <- context.DeadlineExceeded
			http.Error(w, "no answer in time", http.StatusServiceUnavailable)
		case <-r.Context().Done():
			sent <- r.Context().Err()
		}
	})
}

func writeJSON(w http.ResponseWriter, b []byte) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(b)
	return err
}
