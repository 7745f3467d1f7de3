package slack

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pmbot/pmbot/bot"
)

// RunSocketMode serves commands and button clicks over Socket Mode until ctx
// ends: no public URL is needed. Every envelope is acknowledged within Slack's 3
// seconds; Slack's disconnect requests and dropped sockets are followed by a new
// connection (slack-go reconnects; a failed reconnect is retried with backoff
// here). It returns nil when ctx ends, or an error Slack will not get over by
// itself (a bad app token). Commands still being answered when it returns are
// answered all the same: Wait waits for them.
func (a *Adapter) RunSocketMode(ctx context.Context) error {
	client := socketmode.New(a.api)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.serveEvents(ctx, client)
	}()
	backoff := time.Second
	for {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// slack-go retries every failure to connect by itself, except the
		// refusals of the app token (invalid_auth, not_authed,
		// account_inactive, token_revoked, or a 404): retrying those changes
		// nothing.
		var status slackapi.StatusCodeError
		if code := errorCode(err); code != "" || (errors.As(err, &status) && status.Code == 404) {
			if code == "" {
				code = status.Status
			}
			return fmt.Errorf("slack: socket mode: the app token was refused (%s): check PMBOT_SLACK_APP_TOKEN (xapp-…, with connections:write)", code)
		}
		a.log.Warn("Socket Mode connection lost; reconnecting", "in", backoff, "err", err)
		if bot.Sleep(ctx, backoff) != nil {
			return nil
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// serveEvents handles what Socket Mode delivers until ctx ends. Each command runs
// on its own goroutine, counted in a.inflight, so a slow one never delays the
// acknowledgement of the next.
func (a *Adapter) serveEvents(ctx context.Context, client *socketmode.Client) {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			if evt.Request == nil {
				continue
			}
			req := *evt.Request
			cmd, ok := evt.Data.(slackapi.SlashCommand)
			if !ok {
				a.ack(ctx, client, req, nil)
				continue
			}
			inv := invocation{text: cmd.Text, userID: cmd.UserID, channelID: cmd.ChannelID, responseURL: cmd.ResponseURL}
			a.inflight.Add(1)
			go func() {
				defer a.inflight.Done()
				a.answer(ctx, inv, func(r *response) bool { return a.ack(ctx, client, req, r) })
			}()
		case socketmode.EventTypeInteractive:
			if evt.Request == nil {
				continue
			}
			req := *evt.Request
			// A click's answer always goes through response_url: its envelope
			// takes no payload, which would replace the clicked message anyway.
			a.ack(ctx, client, req, nil)
			cb, ok := evt.Data.(slackapi.InteractionCallback)
			if !ok {
				continue
			}
			inv, act := clicked(cb)
			if !act {
				continue
			}
			a.inflight.Add(1)
			go func() {
				defer a.inflight.Done()
				a.answer(ctx, inv, noPayload)
			}()
		case socketmode.EventTypeEventsAPI:
			if evt.Request != nil {
				a.ack(ctx, client, *evt.Request, nil) // no event is subscribed; acknowledge any
			}
		case socketmode.EventTypeConnected:
			a.log.Info("Socket Mode connected")
		case socketmode.EventTypeDisconnect:
			a.log.Info("Slack asked to reconnect (Socket Mode disconnect)")
		case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
			a.log.Warn("Socket Mode connection problem", "event", evt.Type, "data", fmt.Sprint(evt.Data))
		}
	}
}

// ack acknowledges an envelope, with the reply when there is one, and reports
// whether the acknowledgement went out. Once ctx has ended the connection is
// going away: nothing is sent, and a reply goes through response_url instead.
func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, req socketmode.Request, r *response) bool {
	if ctx.Err() != nil {
		return false
	}
	var payload any
	if r != nil {
		payload = r
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		if !errors.Is(err, context.Canceled) {
			a.log.Warn("Socket Mode acknowledgement not sent", "envelope", req.EnvelopeID, "err", err)
		}
		return false
	}
	return true
}
