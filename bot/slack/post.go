package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot"
)

// metadataEvent is the event_type of the metadata every post carries: its
// delivery key, by which a post is found again after a crash.
const metadataEvent = "pmbot_delivery"

// historyDepth is how many recent messages of a channel are searched for an
// earlier attempt's post: the bot posts rarely, and a retry comes soon after.
const historyDepth = 100

// postMargin is the time a post keeps for the call itself after waiting for its
// slot, out of its context's deadline (half of it when that is short).
const postMargin = 5 * time.Second

// Post posts m to the channel of d, exactly once per d.Key: when an earlier
// attempt may have posted it (d.MayHavePosted: the process died before recording that), the
// channel's recent history is searched for the key first. It never waits past
// ctx's deadline for a rate limit: it returns a *bot.RetryAfterError instead.
func (a *Adapter) Post(ctx context.Context, d bot.Delivery, m bot.Message) (string, error) {
	if d.MayHavePosted {
		ts, found, err := a.findPosted(ctx, d)
		if err != nil {
			return "", err
		}
		if found {
			a.log.Info("delivery found already posted; not posting again", "key", d.Key, "channel", d.Channel, "ts", ts)
			return ts, nil
		}
	}
	p := RenderMessage(m)
	meta := slackapi.MsgOptionMetadata(slackapi.SlackMetadata{EventType: metadataEvent, EventPayload: map[string]any{"key": d.Key, "kind": string(d.Kind)}})
	opts := append(p.MsgOptions(), meta)
	joined, plain := false, false
	for {
		if err := a.wait(ctx, d.Channel); err != nil {
			return "", err
		}
		_, ts, err := a.api.PostMessageContext(ctx, d.Channel, opts...)
		if err == nil {
			return ts, nil
		}
		switch code := errorCode(err); {
		case code == "not_in_channel" && !joined:
			// A public channel the bot was not invited to: join it and try again.
			joined = true
			if err := a.join(ctx, d.Channel); err != nil {
				return "", err
			}
			continue
		case (code == "invalid_blocks" || code == "invalid_blocks_format" || code == "msg_blocks_too_long") && !plain:
			// Our layout was refused: a bug of ours, but the news must still
			// go out. The plain text says it all, with the same key.
			a.log.Error("Slack refused the message layout; posting it as plain text", "key", d.Key, "error", code)
			plain = true
			opts = []slackapi.MsgOption{slackapi.MsgOptionText(p.Text, false), slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl(), meta}
			continue
		}
		return "", a.failed(err)
	}
}

// transient are the Slack error codes of a failure that may pass by itself.
var transient = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
}

// join joins a public channel the bot was not invited to. When Slack refuses
// (a private channel, which only an /invite opens; the channels:join scope
// missing; an archived channel), the delivery cannot go out until someone acts:
// a *bot.PermanentError that pauses the subscription.
func (a *Adapter) join(ctx context.Context, channel string) error {
	_, _, _, err := a.api.JoinConversationContext(ctx, channel)
	if err == nil {
		return nil
	}
	code := errorCode(err)
	if _, known := permanent[code]; known || code == "" || transient[code] {
		return a.failed(fmt.Errorf("slack: join %s: %w", channel, err))
	}
	return &bot.PermanentError{Err: fmt.Errorf("slack: %s, and joining it failed (%s): %w", permanent["not_in_channel"], code, err), Pause: true}
}

// findPosted looks for the delivery's key in the channel's recent messages.
func (a *Adapter) findPosted(ctx context.Context, d bot.Delivery) (ts string, found bool, err error) {
	// Reading is not posting: it books no posting slot, which would hold the
	// post that follows for a channel gap, but waits out a 429's pause.
	held := a.limits.held()
	if err := a.sleep(ctx, d.Channel, held, held <= a.maxWait(ctx)); err != nil {
		return "", false, err
	}
	h, err := a.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: d.Channel, Limit: historyDepth, IncludeAllMetadata: true,
	})
	if err != nil {
		if errorCode(err) == "not_in_channel" {
			return "", false, nil // never joined: nothing was posted
		}
		return "", false, a.failed(fmt.Errorf("slack: history of %s: %w", d.Channel, err))
	}
	for _, msg := range h.Messages {
		if msg.Metadata.EventType == metadataEvent && msg.Metadata.EventPayload["key"] == d.Key {
			return msg.Timestamp, true, nil
		}
	}
	return "", false, nil
}

// wait waits for the channel's next posting slot, unless that is past ctx's
// deadline: the delivery is then given back to be tried when the slot comes.
func (a *Adapter) wait(ctx context.Context, channel string) error {
	wait, ok := a.limits.reserve(channel, a.maxWait(ctx))
	return a.sleep(ctx, channel, wait, ok)
}

// sleep waits for wait when ok (it fits in ctx), else gives the delivery back
// with a *bot.RetryAfterError.
func (a *Adapter) sleep(ctx context.Context, channel string, wait time.Duration, ok bool) error {
	if !ok {
		return &bot.RetryAfterError{Err: fmt.Errorf("slack: %s: posting too fast for Slack's rate limits", channel), After: wait}
	}
	return bot.Sleep(ctx, wait)
}

// maxWait is the longest a post may wait for its slot within ctx's deadline.
func (a *Adapter) maxWait(ctx context.Context) time.Duration { return bot.PostWait(ctx, postMargin) }

// failed classifies a Web API failure, and holds every post when Slack said to
// slow down.
func (a *Adapter) failed(err error) error {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		a.limits.pause(rl.RetryAfter)
	}
	return classify(err)
}

// permanent are the errors that no retry fixes: the channel, or the app's access
// to the workspace, is gone. The delivery is given up and its subscription paused.
var permanent = map[string]string{
	"channel_not_found":                   "the channel does not exist, or the bot cannot see it (a private channel: /invite the bot)",
	"is_archived":                         "the channel is archived",
	"not_in_channel":                      "the bot is not in this channel (a private channel: /invite the bot)",
	"invalid_auth":                        "the bot token is not valid: check PMBOT_SLACK_BOT_TOKEN",
	"not_authed":                          "no bot token was sent: check PMBOT_SLACK_BOT_TOKEN",
	"account_inactive":                    "the bot's account was deactivated or the app uninstalled: reinstall the app",
	"token_revoked":                       "the bot token was revoked: reinstall the app and update PMBOT_SLACK_BOT_TOKEN",
	"token_expired":                       "the bot token expired: reinstall the app and update PMBOT_SLACK_BOT_TOKEN",
	"missing_scope":                       "the app lacks a permission: reinstall it from slack-app-manifest.yaml",
	"restricted_action":                   "the workspace does not let the bot post in this channel",
	"ekm_access_denied":                   "the workspace's keys refuse access",
	"team_access_not_granted":             "the app is not allowed in this workspace",
	"restricted_action_read_only_channel": "the channel is read-only",
}

// classify turns a Web API error into what the dispatcher acts on: a
// *bot.RetryAfterError for a rate limit, a *bot.PermanentError (pausing the
// subscription) when nothing will change by retrying, else a plain error to retry.
func classify(err error) error {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return &bot.RetryAfterError{Err: fmt.Errorf("slack: rate limited: %w", err), After: rl.RetryAfter}
	}
	code := errorCode(err)
	if words, ok := permanent[code]; ok {
		return &bot.PermanentError{Err: fmt.Errorf("slack: %s (%s): %w", words, code, err), Pause: true}
	}
	return fmt.Errorf("slack: %s: %w", describe(err), err)
}

// errorCode is the Slack error code of a Web API failure ("channel_not_found"),
// or "".
func errorCode(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// describe says what a Web API failure was, in words where the code is known.
func describe(err error) string {
	if words, ok := permanent[errorCode(err)]; ok {
		return words
	}
	return err.Error()
}
