package fakeslack_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

// In a test, use fakeslack.New(t, opts): it closes the server and fails the test on
// contract violations when the test ends. The examples use Start and Close.

// The real slack-go client posts to the fake, which records the message.
func Example_webAPI() {
	s, err := fakeslack.Start(fakeslack.Options{
		Channels: []fakeslack.Channel{{ID: "C1", Name: "podcasts", BotIsMember: true}},
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	_, _, err = api.PostMessageContext(context.Background(), "C1",
		slack.MsgOptionText("Episode 17", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "pmbot_delivery", EventPayload: map[string]any{"key": "k17"}}))
	fmt.Println(err, len(s.Messages("C1")), s.Messages("C1")[0].Metadata.EventType)
	// Output: <nil> 1 pmbot_delivery
}

// slack-go's socketmode client receives a slash command from the fake and acknowledges
// it with a reply.
func Example_socketMode() {
	s, err := fakeslack.Start(fakeslack.Options{AckDeadline: time.Minute})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	client := socketmode.New(slack.New(s.BotToken(), slack.OptionAppLevelToken(s.AppToken()), slack.OptionAPIURL(s.APIURL())))
	go func() { _ = client.RunContext(ctx) }()
	go func() {
		for {
			select {
			case evt := <-client.Events:
				if evt.Type == socketmode.EventTypeSlashCommand {
					cmd := evt.Data.(slack.SlashCommand)
					_ = client.Ack(*evt.Request, map[string]any{"text": "you asked: " + cmd.Text})
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	ack, err := s.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/postmortem", Text: "latest"})
	fmt.Println(err, string(ack.Payload), ack.Late)
	fmt.Println(s.Ephemerals("C0GENERAL")[0].Text)
	// Output:
	// <nil> {"text":"you asked: latest"} false
	// you asked: latest
}

// Failures are injected per method or channel.
func Example_faults() {
	s, err := fakeslack.Start(fakeslack.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()

	s.RateLimitNext("chat.postMessage", 1, 5*time.Second)
	_, _, err = api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	fmt.Println(errors.As(err, &rl), rl.RetryAfter)

	s.FailPost("C0GENERAL", "channel_not_found")
	_, _, err = api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false))
	fmt.Println(err)
	// Output:
	// true 5s
	// channel_not_found
}
