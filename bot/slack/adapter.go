// Package slack is the Slack adapter: it posts the bot's messages to channels,
// each exactly once, and answers /postmortem commands and button clicks, over
// Socket Mode (no public URL needed) or HTTP (/slack/events), with
// github.com/slack-go/slack. It renders the neutral bot.Message and
// commands.Reply as Block Kit that Slack never rejects.
package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/commands"
)

// Platform is Slack's platform name in subscriptions.
const Platform = "slack"

// Options configure an Adapter.
type Options struct {
	// BotToken (xoxb-…) posts messages and answers commands.
	BotToken string
	// AppToken (xapp-…) opens Socket Mode connections.
	AppToken string
	// SigningSecret verifies the requests Slack sends to /slack/events.
	SigningSecret string
	// APIURL is the Web API base, ending in "/" (a proxy or a test double).
	APIURL string
	// Managers may change subscriptions, besides the workspace's admins and owners.
	Managers []string
	// Language is the reply language when nothing better is known ("en", "fr").
	Language string
	Router   *commands.Router
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HTTPClient sends Web API calls and response_url posts; a client with a 30 s
	// timeout when nil.
	HTTPClient *http.Client
	// ChannelGap and WorkspaceGap space posts: 1 s per channel and 100 ms in the
	// workspace (600 a minute) when zero.
	ChannelGap, WorkspaceGap time.Duration
}

// Adapter is pmbot on one Slack workspace.
type Adapter struct {
	opts   Options
	api    *slackapi.Client
	log    *slog.Logger
	now    func() time.Time
	http   *http.Client
	limits *limiter
	// inflight counts the commands being answered, so a shutdown can wait for
	// their replies.
	inflight sync.WaitGroup
}

// Wait waits for the commands being answered: call it after the transports
// stopped (RunSocketMode returned, the HTTP server shut down).
func (a *Adapter) Wait() { a.inflight.Wait() }

var _ bot.Poster = (*Adapter)(nil)

// New returns an adapter; it connects nothing until Run or Handler is used.
func New(opts Options) *Adapter {
	a := &Adapter{opts: opts, log: opts.Logger, now: opts.Now, http: opts.HTTPClient}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: 30 * time.Second}
	}
	channelGap, workspaceGap := opts.ChannelGap, opts.WorkspaceGap
	if channelGap <= 0 {
		channelGap = time.Second
	}
	if workspaceGap <= 0 {
		workspaceGap = 100 * time.Millisecond
	}
	a.limits = newLimiter(a.now, channelGap, workspaceGap)
	a.api = slackapi.New(opts.BotToken, a.apiOptions(slackapi.OptionAppLevelToken(opts.AppToken))...)
	return a
}

// ShareRate makes this process keep to 1/replicas of the workspace's posting
// rate (Options.WorkspaceGap): Slack counts the posts of every replica of the
// app together. It is called again when the number changes.
func (a *Adapter) ShareRate(replicas int) { a.limits.setShare(replicas) }

func (a *Adapter) apiOptions(more ...slackapi.Option) []slackapi.Option {
	opts := []slackapi.Option{slackapi.OptionHTTPClient(a.http)}
	if a.opts.APIURL != "" {
		opts = append(opts, slackapi.OptionAPIURL(a.opts.APIURL))
	}
	return append(opts, more...)
}

// Identity is who the bot posts as, as auth.test says.
type Identity struct {
	Team, TeamID, User, UserID, BotID, URL string
}

// Check calls auth.test: the workspace and bot user the token posts as, or what
// is wrong with it, in words.
func (a *Adapter) Check(ctx context.Context) (Identity, error) {
	r, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("slack: auth.test: %s", describe(err))
	}
	return Identity{Team: r.Team, TeamID: r.TeamID, User: r.User, UserID: r.UserID, BotID: r.BotID, URL: r.URL}, nil
}

// CheckSocketMode asks Slack for a Socket Mode connection with the app token,
// without connecting: it says whether commands could be answered.
func (a *Adapter) CheckSocketMode(ctx context.Context) error {
	if _, _, err := a.api.StartSocketModeContext(ctx); err != nil {
		return fmt.Errorf("slack: apps.connections.open: the app token was refused (%s): check PMBOT_SLACK_APP_TOKEN (xapp-…, with connections:write)", describe(err))
	}
	return nil
}

// manager reports whether a user may change the channel's subscriptions: one of
// the configured managers, or a workspace admin or owner.
func (a *Adapter) manager(ctx context.Context, userID string) bool {
	if slices.Contains(a.opts.Managers, userID) {
		return true
	}
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		a.log.Warn("cannot tell whether a user manages channels", "user", userID, "err", describe(err))
		return false
	}
	return u.IsAdmin || u.IsOwner || u.IsPrimaryOwner
}
