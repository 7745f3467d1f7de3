package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// apiRewriter sends discordgo's REST calls to another base URL (a proxy, a test
// double) without touching discordgo's package-level endpoint variables.
type apiRewriter struct {
	from, to string
	next     http.RoundTripper
}

func (t apiRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	if rest, ok := strings.CutPrefix(r.URL.String(), t.from); ok {
		u, err := url.Parse(t.to + rest)
		if err != nil {
			return nil, fmt.Errorf("discord: rewrite %s: %w", t.from, err)
		}
		r = r.Clone(r.Context())
		r.URL, r.Host = u, u.Host
	}
	return t.next.RoundTrip(r)
}

// NewSession returns a discordgo session for the bot token whose REST calls go to
// apiURL (Discord's REST base, version included, ending in "/"), with
// discordgo's own retry on 429 off: the dispatcher decides when to retry.
func NewSession(token, apiURL string, timeout time.Duration) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: session: %w", err)
	}
	var rt http.RoundTripper = http.DefaultTransport
	if apiURL != "" && apiURL != discordgo.EndpointAPI {
		rt = apiRewriter{from: discordgo.EndpointAPI, to: apiURL, next: rt}
	}
	s.Client = &http.Client{Timeout: timeout, Transport: rt}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	return s, nil
}

// Identity is who the bot token belongs to, as GET /users/@me says.
type Identity struct {
	ID, Username string
}

// Check calls GET /users/@me: the bot user the token is, or what is wrong with
// the token, in words.
func Check(ctx context.Context, s *discordgo.Session) (Identity, error) {
	u, err := s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return Identity{}, errors.New("discord: the bot token is not valid: copy it again from the Developer Portal's Bot page into PMBOT_DISCORD_BOT_TOKEN")
		}
		return Identity{}, fmt.Errorf("discord: GET /users/@me: %w", err)
	}
	return Identity{ID: u.ID, Username: u.Username}, nil
}

// Permissions are what the bot needs in a channel, and nothing more: see it,
// post there (also in threads and forum posts it opens), with embeds, and read
// its recent messages back to find a post after a crash.
const Permissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads

// InviteURL is the link that adds the bot to a server with exactly the scopes
// (bot, applications.commands) and permissions it needs.
func InviteURL(applicationID string) string {
	q := url.Values{}
	q.Set("client_id", applicationID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", fmt.Sprint(Permissions))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
