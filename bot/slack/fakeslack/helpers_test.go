package fakeslack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// safety bounds every wait of these tests; nothing waits on time otherwise.
const safety = time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	t.Cleanup(cancel)
	return ctx
}

// botClient is the real slack-go client with the bot token.
func botClient(s *Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
}

// socketClient runs slack-go's real socketmode client against s and hands every event
// to handle (on one goroutine). It stops when the test ends, before the server closes.
func socketClient(t *testing.T, s *Server, handle func(*socketmode.Client, socketmode.Event)) *socketmode.Client {
	t.Helper()
	api := slack.New(s.BotToken(), slack.OptionAppLevelToken(s.AppToken()), slack.OptionAPIURL(s.APIURL()))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = client.RunContext(ctx)
	}()
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for {
			select {
			case evt := <-client.Events:
				if handle != nil {
					handle(client, evt)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-ran
		<-consumed
	})
	return client
}

// takeViolations returns the violations recorded and fails the test unless each of
// want is a substring of one of them, in any order.
func takeViolations(t *testing.T, s *Server, want ...string) []Violation {
	t.Helper()
	got := s.TakeViolations()
	for _, w := range want {
		found := false
		for _, v := range got {
			found = found || strings.Contains(v.String(), w)
		}
		if !found {
			t.Errorf("violations = %v; want one containing %q", got, w)
		}
	}
	return got
}

// slackErr returns the Slack error code of err ("" if it is not a Slack error).
func slackErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	return ""
}
