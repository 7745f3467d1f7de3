package discord

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/commands"
)

// Platform is Discord's platform name in subscriptions.
const Platform = "discord"

// Options configure an Adapter.
type Options struct {
	// BotToken posts messages, registers the commands and opens the gateway.
	BotToken string
	// ApplicationID registers the slash commands and sends followups.
	ApplicationID string
	// PublicKey (hex) verifies the interactions Discord POSTs to
	// /discord/interactions; empty turns that endpoint off.
	PublicKey string
	// APIURL is the REST base, version included, ending in "/" (a proxy or a
	// test double); Discord's v10 when empty.
	APIURL string
	// GuildIDs register the commands in these servers (instant) rather than
	// globally.
	GuildIDs []string
	// Threads are the text channels where each announcement opens a discussion
	// thread (subscriptions with thread: true).
	Threads map[string]bool
	// Language is the reply language when the user's locale is neither French
	// nor English ("en", "fr").
	Language string
	Router   *commands.Router
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Timeout bounds each REST call; 20 s when zero.
	Timeout time.Duration
	// GlobalRate is the most REST requests a second (Discord: 50), interaction
	// responses excepted; 50 when zero.
	GlobalRate int
	// HoldAtStart holds REST calls (not interaction answers) this long after
	// New: a process that restarts cannot know how much of the global limit
	// its predecessor used in its last second. run holds one second.
	HoldAtStart time.Duration
	// Shards is how many gateway shards the bot connects (Discord requires
	// one per 2,500 servers); 1 when zero.
	Shards int
	// HoldShard, when set, runs each shard's connection (run) under the lease
	// name, and returns when ctx ends: replicas on one database hold a lease
	// per shard, so that one connection at a time receives its interactions.
	HoldShard func(ctx context.Context, name string, run func(context.Context) error) error
}

// Adapter is pmbot on Discord: it posts the bot's messages to channels and
// forums, each exactly once, and answers slash commands, autocomplete and
// button clicks from the gateway or the HTTP interactions endpoint.
type Adapter struct {
	opts    Options
	session *discordgo.Session
	// replies answers interactions with rate limits of its own: Discord does
	// not count interaction responses against the global limit, and a global
	// 429 on posts, which makes discordgo hold every call of its session, must
	// not make an answer miss its 3 seconds.
	replies *discordgo.Session
	log     *slog.Logger
	now     func() time.Time
	pace    *pacer
	key     ed25519.PublicKey

	mu       sync.Mutex
	channels map[string]channelInfo
	// gateways are the open shard connections, whose state tells the poster
	// which channels are forums.
	gateways map[*discordgo.Session]bool

	// inflight counts the interactions being answered, so that a shutdown can
	// wait for their replies.
	inflight sync.WaitGroup
}

var _ bot.Poster = (*Adapter)(nil)

// New returns an adapter; it connects nothing until RunGateway or Handler is
// used, or a message is posted.
func New(opts Options) (*Adapter, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if opts.GlobalRate <= 0 {
		opts.GlobalRate = 50
	}
	if opts.Shards <= 0 {
		opts.Shards = 1
	}
	s, err := NewSession(opts.BotToken, opts.APIURL, opts.Timeout)
	if err != nil {
		return nil, err
	}
	replies, err := NewSession(opts.BotToken, opts.APIURL, opts.Timeout)
	if err != nil {
		return nil, err
	}
	a := &Adapter{opts: opts, session: s, replies: replies, log: opts.Logger, now: opts.Now, channels: make(map[string]channelInfo), gateways: make(map[*discordgo.Session]bool)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if opts.PublicKey != "" {
		if a.key, err = ParsePublicKey(opts.PublicKey); err != nil {
			return nil, err
		}
	}
	if opts.Router == nil {
		return nil, fmt.Errorf("discord: no command router")
	}
	// A window a little over a second: requests spaced a second apart when sent
	// can arrive closer, and Discord counts them on arrival.
	a.pace = newPacer(a.now, opts.GlobalRate, time.Second+20*time.Millisecond)
	a.pace.hold(a.now().Add(opts.HoldAtStart))
	s.Client.Transport = globalWatch{pace: a.pace, next: s.Client.Transport}
	return a, nil
}

// ShareGlobalRate divides Discord's global limit (Options.GlobalRate) among
// replicas processes posting as the same bot, which Discord counts together:
// each keeps to its share. It is called again when the number changes.
func (a *Adapter) ShareGlobalRate(replicas int) {
	a.pace.setRate(max(a.opts.GlobalRate/max(replicas, 1), 1))
}

// Session is the adapter's discordgo session (for checks and tests).
func (a *Adapter) Session() *discordgo.Session { return a.session }

// Wait waits for the interactions being answered: call it after the transports
// stopped (RunGateway returned, the HTTP server shut down).
func (a *Adapter) Wait() { a.inflight.Wait() }
