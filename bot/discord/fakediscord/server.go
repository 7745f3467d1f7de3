package fakediscord

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Contract numbers (platform-contract.md PART B) that are not options.
const (
	// InteractionDeadline is the initial-response deadline of an interaction (B2).
	InteractionDeadline = 3 * time.Second
	// TokenLifetime is how long an interaction token accepts followups and edits (B2).
	TokenLifetime = 15 * time.Minute
	// DefaultNonceWindow is how long enforce_nonce deduplicates (B5: "a few minutes",
	// exact window unconfirmed).
	DefaultNonceWindow = 5 * time.Minute
	// DefaultHeartbeatInterval is the gateway heartbeat interval (B7 example: 45 000 ms;
	// Discord sends 41 250 in practice).
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	// InvalidRequestLimit and InvalidRequestWindow are the Cloudflare-ban budget: 401,
	// 403 and 429 answers (B6).
	InvalidRequestLimit  = 10000
	InvalidRequestWindow = 10 * time.Minute
)

// Channel types (Discord's values).
const (
	ChannelTypeText = 0
	// ChannelTypePublicThread is the type of the threads the fake creates: forum and
	// media posts, and threads started from a message in a text channel.
	ChannelTypePublicThread = 11
	// ChannelTypeForum and ChannelTypeMedia are thread-only channels: messages go into
	// posts (threads) created with POST /channels/{id}/threads.
	ChannelTypeForum = 15
	ChannelTypeMedia = 16
)

// Channel flags (Discord's values).
const (
	// ChannelFlagRequireTag is set on a forum or media channel whose posts need a tag.
	ChannelFlagRequireTag = 1 << 4
)

// ErrClosed is returned by waits and deliveries once the server is closed.
var ErrClosed = errors.New("fakediscord: server closed")

// rfc8032Seed is the RFC 8032 §7.1 TEST 1 private key seed (contract B3 test vector).
const rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"

// Options configure a Server. The zero value is usable: every empty field gets the
// default given in its comment.
type Options struct {
	// BotToken (default "fakediscord-bot-token") is the token expected after "Bot " in
	// the Authorization header, and in the gateway Identify.
	BotToken string
	// AppID (default "100000000000000001") is the application id; it is also the bot
	// user's id and the webhook id of followups.
	AppID   string
	BotName string // default "pmbot"
	// UserID and UserName (default "200000000000000002", "tester") are the human who
	// sends interactions unless an Interaction names another.
	UserID   string
	UserName string
	// Channels of the fake. Nil gives one text channel "300000000000000003" in guild
	// "400000000000000004" where the bot may send.
	Channels []Channel

	// ChannelRate limits POST /channels/{id}/messages per channel (default 5 per 5 s,
	// contract B6, observed value).
	ChannelRate Rate
	// GlobalRate limits all non-interaction REST calls of the bot (default 50 per s).
	GlobalRate Rate
	// RouteRate limits every other route, per route and top-level resource (default 50
	// per s).
	RouteRate Rate

	// NonceWindow is how long enforce_nonce deduplicates (default 5 minutes).
	NonceWindow time.Duration
	// InteractionDeadline (default 3 s) is measured on Clock from the moment the fake
	// sent the interaction. Keep it in the test that proves the deadline.
	InteractionDeadline time.Duration

	// HeartbeatInterval (default 41.25 s) is sent in Hello. A connection that sends no
	// heartbeat for twice the interval (real time) is closed with 4009.
	HeartbeatInterval time.Duration
	// PrivilegedIntents lists the privileged intents enabled for the app (bits of
	// 1<<1 GUILD_MEMBERS, 1<<8 GUILD_PRESENCES, 1<<15 MESSAGE_CONTENT); an Identify asking
	// for another privileged intent is closed with 4014.
	PrivilegedIntents int

	// PrivateKeySeed (32 bytes hex; default the RFC 8032 TEST 1 seed of the contract B3
	// vector) is the key that signs HTTP interactions.
	PrivateKeySeed string

	// Clock is the time of rate limits, nonces, deadlines and token lifetimes (default
	// time.Now). See Clock for a manual one.
	Clock func() time.Time

	// ForumCreateMessageCode (default 50008 "Cannot send messages in a non-text
	// channel") is the JSON error code of Create Message in a forum or media channel.
	// Discord documents 40058 "Cannot send a message in a forum channel" too; which one
	// it answers is not confirmed, so a bot must not depend on either.
	ForumCreateMessageCode int

	// AllowViolations keeps New's cleanup from failing the test on violations.
	AllowViolations bool
	// AllowMentions accepts messages whose content could ping (@everyone, @here, <@id>,
	// <@&id>), which are violations otherwise.
	AllowMentions bool
}

// Channel is a channel of the fake.
type Channel struct {
	ID      string
	GuildID string
	Name    string
	// Type is ChannelTypeText (0, default), ChannelTypeForum (15) or ChannelTypeMedia
	// (16); Create Message in a forum or media channel answers 400 with
	// Options.ForumCreateMessageCode. Threads (type 11) are not configured here: they
	// are created through the API.
	Type int
	// AvailableTags are the tags of a forum or media channel, which forum posts may
	// apply (applied_tags, at most 5).
	AvailableTags []Tag
	// RequireTag (forum and media channels) sets the REQUIRE_TAG flag: a post without
	// applied_tags answers 400 code 40067.
	RequireTag bool
	// NoAccess makes every channel route answer 403 code 50001 Missing Access (the bot
	// cannot see the channel). Threads inherit it, and NoSendPermission, from their
	// parent.
	NoAccess bool
	// NoSendPermission makes Create Message answer 403 code 50013 Missing Permissions
	// (the bot sees the channel but may not send).
	NoSendPermission bool
}

// Tag is a tag of a forum or media channel.
type Tag struct {
	ID   string
	Name string
}

func (o Options) withDefaults() Options {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.BotToken, "fakediscord-bot-token")
	def(&o.AppID, "100000000000000001")
	def(&o.BotName, "pmbot")
	def(&o.UserID, "200000000000000002")
	def(&o.UserName, "tester")
	def(&o.PrivateKeySeed, rfc8032Seed)
	if o.Channels == nil {
		o.Channels = []Channel{{ID: "300000000000000003", GuildID: "400000000000000004", Name: "general"}}
	}
	o.Channels = slices.Clone(o.Channels)
	if o.ChannelRate == (Rate{}) {
		o.ChannelRate = Rate{N: 5, Per: 5 * time.Second}
	}
	if o.GlobalRate == (Rate{}) {
		o.GlobalRate = Rate{N: 50, Per: time.Second}
	}
	if o.RouteRate == (Rate{}) {
		o.RouteRate = Rate{N: 50, Per: time.Second}
	}
	if o.NonceWindow == 0 {
		o.NonceWindow = DefaultNonceWindow
	}
	if o.InteractionDeadline == 0 {
		o.InteractionDeadline = InteractionDeadline
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.ForumCreateMessageCode == 0 {
		o.ForumCreateMessageCode = 50008
	}
	return o
}

func (o Options) validate() error {
	for _, r := range []Rate{o.ChannelRate, o.GlobalRate, o.RouteRate} {
		if err := r.validate(); err != nil {
			return err
		}
	}
	seed, err := hex.DecodeString(o.PrivateKeySeed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return errors.New("fakediscord: PrivateKeySeed must be 32 bytes of hex")
	}
	seen := map[string]bool{}
	for _, c := range o.Channels {
		if c.ID == "" {
			return fmt.Errorf("fakediscord: channel %+v needs an ID", c)
		}
		if seen[c.ID] {
			return fmt.Errorf("fakediscord: channel %s listed twice", c.ID)
		}
		seen[c.ID] = true
		if err := validateChannel(c); err != nil {
			return err
		}
	}
	return nil
}

// Violation is a breach of the platform contract by the client under test.
type Violation struct {
	// Rule names the broken rule and its section of platform-contract.md, e.g.
	// "B5 message limits".
	Rule   string
	Detail string
	At     time.Time
}

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Call is one REST request as the fake saw it.
type Call struct {
	Method string // HTTP method
	Path   string // path without the /api/v{N} prefix, e.g. "/channels/1/messages"
	Body   json.RawMessage
	Status int
	Code   int // Discord JSON error code, 0 when none
	At     time.Time
}

// Stats counts what happened on the server.
type Stats struct {
	RateLimited       int // answers with HTTP 429
	InvalidRequests   int // 401, 403 and 429 answers (B6 ban budget)
	GatewayConns      int // websocket connections accepted
	Identifies        int
	Resumes           int
	HeartbeatTimeouts int
	Ready             int // live connections that have received READY or RESUMED
}

// Server is a running fake Discord. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	now      func() time.Time
	priv     ed25519.PrivateKey
	http     *httptest.Server
	upgrader websocket.Upgrader
	client   *http.Client
	done     chan struct{}
	wg       sync.WaitGroup
	closing  sync.Once

	mu           sync.Mutex
	changed      chan struct{}
	closed       bool
	channels     map[string]*Channel
	messages     map[string][]*Message
	seq          int64
	calls        []Call
	violations   []Violation
	windows      map[string]*window
	retryAfter   map[string]time.Time
	nonces       map[string]*Message // channel + "\x00" + nonce
	invalid      []time.Time
	banReported  bool
	threads      map[string]*threadState      // by thread id; the channel is in channels too
	interactions map[string]*interactionState // by id
	byToken      map[string]*interactionState
	commands     map[string][]Command   // by guild id, "" for global
	creates      map[string][]time.Time // command creates per scope (B4 200/day)
	conns        []*gwConn
	sessions     map[string]*session
	stats        Stats
}

// New starts a fake Discord on 127.0.0.1 and closes it when the test ends. Unless
// opts.AllowViolations is set, the cleanup reports every violation left as a test error.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		if s.opts.AllowViolations {
			return
		}
		for _, v := range s.TakeViolations() {
			tb.Errorf("fakediscord: contract violation: %s", v)
		}
	})
	return s
}

// Start starts a fake Discord on 127.0.0.1, for use outside a test; the caller must
// Close it and check Violations.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	seed, _ := hex.DecodeString(opts.PrivateKeySeed)
	s := &Server{
		opts:         opts,
		now:          opts.Clock,
		priv:         ed25519.NewKeyFromSeed(seed),
		client:       &http.Client{},
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		channels:     map[string]*Channel{},
		threads:      map[string]*threadState{},
		messages:     map[string][]*Message{},
		windows:      map[string]*window{},
		retryAfter:   map[string]time.Time{},
		nonces:       map[string]*Message{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		sessions:     map[string]*session{},
		commands:     map[string][]Command{},
		creates:      map[string][]time.Time{},
	}
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	for _, c := range opts.Channels {
		c := c
		c.AvailableTags = slices.Clone(c.AvailableTags)
		s.channels[c.ID] = &c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/gateway-ws/", s.serveGateway)
	s.http = httptest.NewServer(mux)
	return s, nil
}

// Close stops the server: it closes every gateway connection, ends pending waits with
// ErrClosed and records a violation for every interaction never answered.
func (s *Server) Close() {
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := slices.Clone(s.conns)
		s.mu.Unlock()
		close(s.done)
		for _, c := range conns {
			c.ws.Close()
		}
		s.wg.Wait()
		s.http.Close()

		s.mu.Lock()
		defer s.mu.Unlock()
		ids := make([]string, 0, len(s.interactions))
		for id := range s.interactions {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			in := s.interactions[id]
			if in.in.Type != 1 && in.response == nil {
				s.violate("B2 interaction response", "interaction %s (type %d) was never answered", id, in.in.Type)
			}
		}
	})
}

// URL is the server's base URL, "http://127.0.0.1:<port>" (discordgo.EndpointDiscord
// is URL()+"/").
func (s *Server) URL() string { return s.http.URL }

// APIURL is the REST base URL for API version "9" (discordgo's APIVersion),
// "http://127.0.0.1:<port>/api/v9/". Every /api/v{N}/ prefix is served.
func (s *Server) APIURL() string { return s.http.URL + "/api/v9/" }

// GatewayURL is the websocket URL handed out by GET /gateway and /gateway/bot.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws/"
}

// BotToken returns the bot token (without "Bot ").
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppID returns the application id.
func (s *Server) AppID() string { return s.opts.AppID }

// Options returns the options the server was started with, defaults filled in.
func (s *Server) Options() Options {
	o := s.opts
	o.Channels = slices.Clone(o.Channels)
	return o
}

// notify wakes every waiter. s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// violate records a violation. s.mu must be held.
func (s *Server) violate(rule, format string, args ...any) {
	s.violations = append(s.violations, Violation{Rule: rule, Detail: fmt.Sprintf(format, args...), At: s.now()})
	s.notify()
}

// nextID returns a new snowflake-looking id. s.mu must be held.
func (s *Server) nextID() string {
	s.seq++
	return strconv.FormatInt(900000000000000000+s.seq, 10)
}

func hashHex(n int, parts ...any) string {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(h[:])[:n]
}

// Wait blocks until cond returns true, the context ends or the server closes. cond is
// called without the server's lock held, so it may call the server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakediscord: wait: %w", ctx.Err())
		case <-s.done:
			return ErrClosed
		}
	}
}

// Violations returns the violations recorded so far.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// TakeViolations returns the violations recorded so far and forgets them, for a test
// that provokes violations on purpose.
func (s *Server) TakeViolations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.violations
	s.violations = nil
	return v
}

// Calls returns the REST calls whose path starts with prefix ("" for all), oldest
// first.
func (s *Server) Calls(prefix string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Stats returns counters of the server's activity.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Ready = 0
	for _, c := range s.conns {
		if c.ready {
			st.Ready++
		}
	}
	return st
}

// SetChannel adds or replaces a channel (not a thread: threads are created through
// the API). It panics on a channel Options would refuse.
func (s *Server) SetChannel(c Channel) {
	if err := validateChannel(c); err != nil {
		panic(err)
	}
	c.AvailableTags = slices.Clone(c.AvailableTags)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threads[c.ID] != nil {
		panic(fmt.Sprintf("fakediscord: SetChannel: %s is a thread", c.ID))
	}
	s.channels[c.ID] = &c
	s.notify()
}

// DeleteChannel removes a channel, or a thread, and its messages; calls naming it then
// answer 404 code 10003. Deleting a channel deletes its threads, as Discord does.
func (s *Server) DeleteChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tid, t := range s.threads {
		if t.parentID == id {
			delete(s.threads, tid)
			delete(s.channels, tid)
			delete(s.messages, tid)
		}
	}
	delete(s.threads, id)
	delete(s.channels, id)
	delete(s.messages, id)
	s.notify()
}

// Clock is a manual clock for Options.Clock: it stands still until the test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
