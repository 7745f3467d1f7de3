package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/commands"
)

// maxAckPayload bounds a reply sent in a Socket Mode acknowledgement: Slack drops
// frames of 20 KB or more (contract A4), and the frame adds the envelope id to
// the payload, so larger replies go through response_url.
const maxAckPayload = 19 << 10

// invocation is a slash command or a button click, from either transport.
type invocation struct {
	// text is the command line, with or without the slash command.
	text        string
	userID      string
	channelID   string
	responseURL string
	// click says the invocation is a command button: its reply is private to
	// whoever clicked (ActionCommand).
	click bool
	// share posts the reply in the channel and deletes the private copy (the
	// share button, ActionShare).
	share bool
}

// response is what Slack takes as a command's answer, in an acknowledgement, an
// HTTP response or a response_url post: the rendered reply, or the deletion of
// the message that held the clicked button.
type response struct {
	payload        Payload
	deleteOriginal bool
}

// MarshalJSON writes the reply as Slack takes it (text, blocks, response_type,
// no unfurling), or {"delete_original": true}: Slack ignores the content of a
// response that deletes, so a deletion is a response of its own.
func (r response) MarshalJSON() ([]byte, error) {
	if r.deleteOriginal {
		return []byte(`{"delete_original":true}`), nil
	}
	return r.payload.MarshalJSON()
}

// acker acknowledges an invocation, carrying r when r is not nil; it reports
// whether r went with the acknowledgement. When it did not (a transport that
// cannot carry a reply, as a button click's; a failed write), nothing was
// acknowledged with r: answer acknowledges with nil and the reply follows
// through response_url.
type acker func(r *response) bool

// noPayload is the acker of invocations acknowledged already, or whose
// acknowledgement cannot carry a reply.
func noPayload(*response) bool { return false }

// answer runs an invocation and answers it within Slack's 3 seconds: ack is
// called exactly once, soon, with the reply when it is ready within
// commands.QuickReply and small enough, else with nil, and the reply follows
// through response_url when the acknowledgement did not carry it. It returns
// when the reply was given.
func (a *Adapter) answer(ctx context.Context, inv invocation, ack acker) {
	// A command under way is answered even when the bot is stopping: the user
	// is waiting. commands.Timeout and the HTTP client's timeout bound it.
	ctx = context.WithoutCancel(ctx)
	done := make(chan []response, 1)
	go func() { done <- a.run(ctx, inv) }()
	var rs []response
	if a.opts.Router.Slow(commands.CommandName(inv.text)) {
		ack(nil)
		rs = <-done
	} else {
		timer := time.NewTimer(commands.QuickReply)
		select {
		case rs = <-done:
			timer.Stop()
			if len(rs) == 1 {
				if b, err := json.Marshal(rs[0]); err == nil && len(b) <= maxAckPayload && ack(&rs[0]) {
					return
				}
			}
			ack(nil)
		case <-timer.C:
			ack(nil)
			rs = <-done
		}
	}
	for _, r := range rs {
		if err := a.respond(ctx, inv.responseURL, r); err != nil {
			a.log.Error("command reply could not be sent", "user", inv.userID, "channel", inv.channelID, "err", err)
			return
		}
	}
}

// run answers the command line of an invocation: the responses to send, in
// order.
func (a *Adapter) run(ctx context.Context, inv invocation) (rs []response) {
	defer func() {
		// A handler's bug must cost one answer, not the bot.
		if p := recover(); p != nil {
			a.log.Error("command panicked", "command", commands.CommandName(inv.text), "panic", fmt.Sprint(p))
			rs = []response{{payload: RenderReply(a.opts.Router.Messages().ErrorReply(a.opts.Language, fmt.Errorf("panic: %v", p)))}}
		}
	}()
	req := commands.Request{
		UserID: inv.userID, ChannelID: inv.channelID, Platform: Platform, ChannelLanguage: a.opts.Language,
	}
	if a.opts.Router.Manages(commands.CommandName(inv.text)) {
		// Asked only when it matters: it may cost a users.info call.
		req.CanManage = a.manager(ctx, inv.userID)
	}
	rep, err := a.opts.Router.Answer(ctx, req, inv.text)
	if err != nil && !commands.IsUserError(err) {
		a.log.Error("command failed", "command", commands.CommandName(inv.text), "err", err)
	}
	switch {
	case inv.share && err == nil:
		// The shared reply first, then the private copy goes: should the
		// second fail, the user still sees their share.
		return []response{{payload: RenderReply(rep.Shared())}, {deleteOriginal: true}}
	case inv.click:
		rep.Private = true
	}
	return []response{{payload: RenderReply(rep)}}
}

// respond posts a response to a response_url. Slack takes at most five per
// invocation, within 30 minutes; we send one, two for a share.
func (a *Adapter) respond(ctx context.Context, url string, r response) error {
	if url == "" {
		return fmt.Errorf("slack: no response_url to answer through")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("slack: reply: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: reply: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("slack: reply: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("slack: reply: response_url answered %s", resp.Status)
	}
	return nil
}

// clicked turns a button click into the invocation it asks for; ok is false for
// clicks that ask nothing of the bot (a link button, a button we did not write).
func clicked(cb slackapi.InteractionCallback) (inv invocation, ok bool) {
	for _, act := range cb.ActionCallback.BlockActions {
		inv = invocation{text: act.Value, userID: cb.User.ID, channelID: cb.Channel.ID, responseURL: cb.ResponseURL}
		if inv.channelID == "" {
			inv.channelID = cb.Container.ChannelID
		}
		// Our action ids are numbered ("pmbot_command.3"): ActionOf reads
		// their kind.
		switch ActionOf(act.ActionID) {
		case ActionCommand:
			inv.click = true
			return inv, true
		case ActionShare:
			inv.share = true
			return inv, true
		}
	}
	return invocation{}, false
}
