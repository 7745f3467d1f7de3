package fakeslack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Contract numbers (platform-contract.md) that are not options.
const (
	// DefaultAckDeadline is Slack's acknowledgement deadline for slash commands,
	// interactions and events, over HTTP and Socket Mode (A3, A4).
	DefaultAckDeadline = 3 * time.Second
	// MaxAckFrameBytes is the size from which Slack silently drops a Socket Mode
	// response frame (A4, observed by slack-go).
	MaxAckFrameBytes = 20 * 1024
	// ResponseURLMaxUses and ResponseURLLifetime bound the use of a response_url (A3).
	ResponseURLMaxUses  = 5
	ResponseURLLifetime = 30 * time.Minute
	// MaxTextChars is the length past which chat.postMessage truncates text (A5).
	MaxTextChars = 40000
	// DefaultMaxBlocksChars is the default msg_blocks_too_long threshold (A5: observed
	// near 13 200 characters; undocumented).
	DefaultMaxBlocksChars = 12000
	// DefaultPingInterval is how often the fake pings Socket Mode clients; slack-go
	// reconnects when it is not pinged for 30 s.
	DefaultPingInterval = 10 * time.Second
	// DefaultMaxConnections is the number of concurrent Socket Mode connections per app
	// (A4, unconfirmed: 10).
	DefaultMaxConnections = 10
)

// ErrClosed is returned by waits and deliveries once the server is closed.
var ErrClosed = errors.New("fakeslack: server closed")

// Options configure a Server. The zero value is usable: every empty field gets the
// default given in its comment.
type Options struct {
	// BotToken (default "xoxb-0000000000-fakeslack-bot") is the only token accepted by
	// chat.*, conversations.* and auth.test. It must start with "xoxb-".
	BotToken string
	// AppToken (default "xapp-1-A0FAKEAPP-0000-fakeslack-app") is the only token accepted
	// by apps.connections.open. It must start with "xapp-".
	AppToken string
	// SigningSecret (default "fakeslack-signing-secret") signs HTTP deliveries.
	SigningSecret string
	// VerificationToken (default "fakeslackverificationtoken") is the legacy token put in
	// delivered payloads.
	VerificationToken string

	TeamID     string // default "T0FAKETEAM"
	TeamName   string // default "Fake Team"
	TeamDomain string // default "fake-team"
	AppID      string // default "A0FAKEAPP"
	BotID      string // default "B0FAKEBOT"
	BotUserID  string // default "U0FAKEBOT"
	BotName    string // default "pmbot"
	// UserID and UserName (default "U0TESTUSER", "tester") are the human who sends
	// commands and clicks buttons unless a delivery names another.
	UserID   string
	UserName string

	// Channels of the workspace. Nil gives one public channel, C0GENERAL "general",
	// with the bot as a member.
	Channels []Channel
	// ChatWritePublic grants chat:write.public: the bot may post in public channels it
	// is not a member of.
	ChatWritePublic bool

	// ChannelRate limits chat.postMessage per channel (default 1 per second, burst 3).
	ChannelRate Rate
	// WorkspaceRate limits chat.postMessage over the workspace (default 600 per
	// minute, burst 100).
	WorkspaceRate Rate
	// MethodRates limit other methods, per workspace; entries replace the defaults
	// (Tier 3 ≈ 50/min for conversations.*, chat.update, chat.delete and
	// apps.connections.open; Tier 4 ≈ 100/min for chat.postEphemeral; 600/min for
	// auth.test).
	MethodRates map[string]Rate

	// MaxBlocksChars is the msg_blocks_too_long threshold: the total number of
	// characters of text in a message's blocks (default 12 000).
	MaxBlocksChars int

	// Clock is the time used for rate limits, message timestamps, deadlines and
	// response_url lifetimes (default time.Now). See Clock for a manual one.
	Clock func() time.Time

	// AckDeadline (default 3 s) bounds Socket Mode acknowledgements and HTTP answers,
	// measured on Clock. Keep the default only in a test that proves the deadline; other
	// tests may raise it so that a slow machine does not fail them.
	AckDeadline time.Duration
	// PingInterval (default 10 s, real time) is how often Socket Mode clients are
	// pinged; negative disables pings.
	PingInterval time.Duration
	// MaxConnections (default 10) is the number of concurrent Socket Mode connections;
	// a connection beyond it gets disconnect "too_many_websockets" and a violation.
	MaxConnections int

	// AllowViolations keeps New's cleanup from failing the test on violations.
	AllowViolations bool
	// AllowBroadcasts accepts messages that notify a whole channel or a user group
	// (<!channel>, <!here>, <!everyone>, <!subteam^…>), which are violations otherwise.
	AllowBroadcasts bool
}

// Channel is a conversation of the fake workspace.
type Channel struct {
	ID       string
	Name     string
	Private  bool
	Archived bool
	// BotIsMember says whether the bot is in the channel.
	BotIsMember bool
	// Members optionally lists the human members (user IDs); when set,
	// chat.postEphemeral to anyone else answers user_not_in_channel.
	Members []string
}

func (o Options) withDefaults() Options {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.BotToken, "xoxb-0000000000-fakeslack-bot")
	def(&o.AppToken, "xapp-1-A0FAKEAPP-0000-fakeslack-app")
	def(&o.SigningSecret, "fakeslack-signing-secret")
	def(&o.VerificationToken, "fakeslackverificationtoken")
	def(&o.TeamID, "T0FAKETEAM")
	def(&o.TeamName, "Fake Team")
	def(&o.TeamDomain, "fake-team")
	def(&o.AppID, "A0FAKEAPP")
	def(&o.BotID, "B0FAKEBOT")
	def(&o.BotUserID, "U0FAKEBOT")
	def(&o.BotName, "pmbot")
	def(&o.UserID, "U0TESTUSER")
	def(&o.UserName, "tester")
	if o.Channels == nil {
		o.Channels = []Channel{{ID: "C0GENERAL", Name: "general", BotIsMember: true}}
	}
	o.Channels = slices.Clone(o.Channels)
	if o.ChannelRate == (Rate{}) {
		o.ChannelRate = Rate{N: 1, Per: time.Second, Burst: 3}
	}
	if o.WorkspaceRate == (Rate{}) {
		o.WorkspaceRate = Rate{N: 600, Per: time.Minute, Burst: 100}
	}
	rates := maps.Clone(defaultMethodRates)
	maps.Copy(rates, o.MethodRates)
	o.MethodRates = rates
	if o.MaxBlocksChars == 0 {
		o.MaxBlocksChars = DefaultMaxBlocksChars
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.AckDeadline == 0 {
		o.AckDeadline = DefaultAckDeadline
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	return o
}

func (o Options) validate() error {
	if !strings.HasPrefix(o.BotToken, "xoxb-") {
		return fmt.Errorf("fakeslack: BotToken must start with xoxb-")
	}
	if !strings.HasPrefix(o.AppToken, "xapp-") {
		return fmt.Errorf("fakeslack: AppToken must start with xapp-")
	}
	seen := map[string]bool{}
	for _, c := range o.Channels {
		if c.ID == "" || c.Name == "" {
			return fmt.Errorf("fakeslack: channel %+v needs an ID and a name", c)
		}
		if seen[c.ID] {
			return fmt.Errorf("fakeslack: channel %s listed twice", c.ID)
		}
		seen[c.ID] = true
	}
	for m, r := range o.MethodRates {
		if err := r.validate(); err != nil {
			return fmt.Errorf("fakeslack: MethodRates[%s]: %w", m, err)
		}
	}
	if err := o.ChannelRate.validate(); err != nil {
		return fmt.Errorf("fakeslack: ChannelRate: %w", err)
	}
	if err := o.WorkspaceRate.validate(); err != nil {
		return fmt.Errorf("fakeslack: WorkspaceRate: %w", err)
	}
	return nil
}

// Violation is a breach of the platform contract by the client under test.
type Violation struct {
	// Rule names the broken rule and its section of platform-contract.md, e.g.
	// "A4 ack deadline".
	Rule   string
	Detail string
	At     time.Time
}

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Call is one Web API call as the fake saw it.
type Call struct {
	Method string
	// Params are the arguments, from the form, the query or the JSON body (JSON values
	// other than strings as JSON text); the token is removed.
	Params url.Values
	// Status is the HTTP status answered; Error the Slack error code ("" when ok).
	Status int
	Error  string
	At     time.Time
}

// Stats counts what happened on the server.
type Stats struct {
	ConnectionsOpened int // successful apps.connections.open calls
	SocketsAccepted   int // websocket connections accepted
	Connected         int // live connections that may receive deliveries
	RateLimited       int // calls answered with HTTP 429
}

// Server is a running fake Slack. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	now      func() time.Time
	http     *httptest.Server
	upgrader websocket.Upgrader
	client   *http.Client
	done     chan struct{}
	wg       sync.WaitGroup
	closing  sync.Once

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every state change
	closed      bool
	channels    map[string]*Channel
	chanOrder   []string
	messages    map[string][]*Message // per channel, oldest first
	ephemerals  map[string][]*Message
	lastTS      int64 // microseconds
	seq         int64
	calls       []Call
	violations  []Violation
	lateAcks    []Ack
	faults      []*Fault
	buckets     map[string]*bucket
	retryAfter  map[string]time.Time // rate-limit key → end of the announced wait
	tickets     map[string]bool      // Socket Mode ticket → used
	conns       []*socketConn
	routed      int // envelopes routed: the round-robin's position
	pending     map[string]*pendingEnvelope
	acked       map[string]bool
	invocations map[string]*invocation
	stats       Stats
}

// New starts a fake Slack on 127.0.0.1 and closes it when the test ends. Unless
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
			tb.Errorf("fakeslack: contract violation: %s", v)
		}
	})
	return s
}

// Start starts a fake Slack on 127.0.0.1, for use outside a test; the caller must Close
// it and check Violations.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:        opts,
		now:         opts.Clock,
		client:      &http.Client{},
		done:        make(chan struct{}),
		changed:     make(chan struct{}),
		channels:    map[string]*Channel{},
		messages:    map[string][]*Message{},
		ephemerals:  map[string][]*Message{},
		buckets:     map[string]*bucket{},
		retryAfter:  map[string]time.Time{},
		tickets:     map[string]bool{},
		pending:     map[string]*pendingEnvelope{},
		acked:       map[string]bool{},
		invocations: map[string]*invocation{},
	}
	// slack-go dials with "Origin: https://api.slack.com".
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	for _, c := range opts.Channels {
		s.putChannel(c)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/commands/", s.serveResponseURL)
	mux.HandleFunc("/actions/", s.serveResponseURL)
	s.http = httptest.NewServer(mux)
	return s, nil
}

// Close stops the server: it closes every Socket Mode connection, ends pending waits
// with ErrClosed and records a violation for every delivery never acknowledged.
func (s *Server) Close() {
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := slices.Clone(s.conns)
		s.mu.Unlock()
		close(s.done)
		for _, c := range conns {
			c.closeNow()
		}
		s.wg.Wait()
		s.http.Close()

		s.mu.Lock()
		defer s.mu.Unlock()
		for _, id := range slices.Sorted(maps.Keys(s.pending)) {
			p := s.pending[id]
			s.violate("A4 acknowledgement", "%s envelope %s was never acknowledged", p.typ, id)
		}
	})
}

// URL is the server's base URL, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.http.URL }

// APIURL is the Web API base URL, ending with "/", for slack.OptionAPIURL or the
// slack.api_url setting.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// Options returns the options the server was started with, defaults filled in (the
// channels as they were at the start; see Channel for their current state).
func (s *Server) Options() Options {
	o := s.opts
	o.Channels = slices.Clone(o.Channels)
	o.MethodRates = maps.Clone(o.MethodRates)
	return o
}

// BotToken returns the bot token (xoxb-).
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken returns the app-level token (xapp-).
func (s *Server) AppToken() string { return s.opts.AppToken }

// SigningSecret returns the signing secret of HTTP deliveries.
func (s *Server) SigningSecret() string { return s.opts.SigningSecret }

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

// nextID returns a new sequence number. s.mu must be held.
func (s *Server) nextID() int64 {
	s.seq++
	return s.seq
}

// hashHex derives a deterministic pseudo-random hex string of length n from parts.
func hashHex(n int, parts ...any) string {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(h[:])[:n]
}

// Wait blocks until cond returns true, the context ends or the server closes. cond is
// called without the server's lock held, so it may call the server's methods; it is
// called again after every change of state.
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
			return fmt.Errorf("fakeslack: wait: %w", ctx.Err())
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

// Calls returns the Web API calls of a method ("" for all), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Params = cloneValues(c.Params)
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
	st.Connected = s.liveConns()
	return st
}

// putChannel adds or replaces a channel. s.mu must be held (or the server not started).
func (s *Server) putChannel(c Channel) {
	c.Members = slices.Clone(c.Members)
	if _, ok := s.channels[c.ID]; !ok {
		s.chanOrder = append(s.chanOrder, c.ID)
	}
	s.channels[c.ID] = &c
}

// SetChannel adds a channel to the workspace or replaces it (to archive it, or to add
// or remove the bot).
func (s *Server) SetChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putChannel(c)
	s.notify()
}

// DeleteChannel removes a channel and its messages; calls naming it then answer
// channel_not_found.
func (s *Server) DeleteChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.channels, id)
	delete(s.messages, id)
	delete(s.ephemerals, id)
	s.chanOrder = slices.DeleteFunc(s.chanOrder, func(c string) bool { return c == id })
	s.notify()
}

// Channel returns a channel of the workspace.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	out := *c
	out.Members = slices.Clone(c.Members)
	return out, true
}

// lookupChannel finds a channel by ID or by name ("general" or "#general").
// s.mu must be held.
func (s *Server) lookupChannel(idOrName string) *Channel {
	if c, ok := s.channels[idOrName]; ok {
		return c
	}
	name := strings.TrimPrefix(idOrName, "#")
	for _, id := range s.chanOrder {
		if c := s.channels[id]; c.Name == name {
			return c
		}
	}
	return nil
}
