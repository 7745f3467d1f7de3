package slack_test

import (
	"strings"
	"testing"

	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

func TestCheckIdentity(t *testing.T) {
	_, a := newAdapter(t, fakeslack.Options{}, slack.Options{})
	id, err := a.Check(adapterCtx(t))
	if err != nil {
		t.Fatalf("Check = %v", err)
	}
	want := slack.Identity{Team: "Fake Team", TeamID: "T0FAKETEAM", User: "pmbot", UserID: "U0FAKEBOT", BotID: "B0FAKEBOT", URL: "https://fake-team.slack.com/"}
	if id != want {
		t.Errorf("Check = %+v, want %+v", id, want)
	}
}

// A token Slack refuses is reported in words that say what to do, without the
// token.
func TestCheckBadToken(t *testing.T) {
	for _, tt := range []struct{ name, token, code string }{
		{"unknown token", "xoxb-1234-not-a-real-token", "PMBOT_SLACK_BOT_TOKEN"},
		{"no token", "", "PMBOT_SLACK_BOT_TOKEN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{})
			a := slack.New(slack.Options{BotToken: tt.token, APIURL: fake.APIURL()})
			_, err := a.Check(adapterCtx(t))
			if err == nil {
				t.Fatal("Check accepted a bad token")
			}
			if !strings.Contains(err.Error(), tt.code) {
				t.Errorf("Check = %q; want it to name %s", err, tt.code)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("Check = %q shows the token", err)
			}
		})
	}
}
