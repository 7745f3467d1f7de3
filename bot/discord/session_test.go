package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// TestCheck: GET /users/@me through discordgo, pointed at the fake by the
// session's own transport (no package-level endpoint touched), names the bot, or
// says what is wrong with the token without printing it.
func TestCheck(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.Options{})
	fake.TakeViolations() // a refused token counts as an invalid request: on purpose here
	for _, tt := range []struct {
		name, token, wantErr string
	}{
		{"good token", fake.BotToken(), ""},
		{"bad token", "not-the-token", "the bot token is not valid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSession(tt.token, fake.APIURL(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			id, err := Check(context.Background(), s)
			switch {
			case tt.wantErr == "" && (err != nil || id.ID == "" || id.Username == ""):
				t.Errorf("Check = %+v, %v; want the bot user", id, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Check error = %v, want %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), tt.token):
				t.Error("the token is in the error")
			}
		})
	}
	fake.TakeViolations()
}

func TestInviteURL(t *testing.T) {
	got := InviteURL("123456789012345678")
	for _, want := range []string{"client_id=123456789012345678", "scope=bot+applications.commands", "permissions=309237730304" /* view 1<<10, send 1<<11, embed 1<<14, history 1<<16, public threads 1<<35, send in threads 1<<38 */} {
		if !strings.Contains(got, want) {
			t.Errorf("invite URL %s lacks %s", got, want)
		}
	}
}
