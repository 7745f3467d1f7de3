package discord_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// This file is the harness of the adapter's tests: the real discordgo of the
// adapter against fakediscord, a router over the Post Mortem feed, and
// dependencies that block until the test lets them go. Nothing in these tests
// waits on time: they wait on channels and fakediscord's Wait helpers, bounded
// by adapterSafety so that a bug fails the test instead of hanging it.

// adapterSafety bounds every wait; nothing waits on time otherwise.
const adapterSafety = 2 * time.Minute

// generousDeadline is the interaction deadline of the tests whose point is not
// the deadline: a loaded machine must not fail them.
const generousDeadline = time.Minute

// heartbeat is the fake gateway's heartbeat interval: small, so that the
// tests exercise discordgo's heartbeats; a missed one only costs a resume.
const heartbeat = time.Second

// The slash commands ApplicationCommands generates from the prefix.
const (
	appCommand     = "postmortem"
	channelCommand = "postmortem-channel"
)

// The fake's server and channels.
const (
	guildID    = "400000000000000004"
	generalID  = "300000000000000003" // a text channel
	threadsID  = "300000000000000011" // a text channel where announcements open threads
	noAccessID = "300000000000000012" // the bot cannot see it
	noSendID   = "300000000000000013" // the bot sees it, may not post
	forumID    = "300000000000000015" // a forum
	unknownID  = "300000000000000099" // no such channel
	tagPodcast = "500000000000000001"
	tagOther   = "500000000000000002"
)

// adapterChannels are the fake's channels for every test.
func adapterChannels() []fakediscord.Channel {
	return []fakediscord.Channel{
		{ID: generalID, GuildID: guildID, Name: "general"},
		{ID: threadsID, GuildID: guildID, Name: "podcast"},
		{ID: noAccessID, GuildID: guildID, Name: "secret", NoAccess: true},
		{ID: noSendID, GuildID: guildID, Name: "announcements", NoSendPermission: true},
		{ID: forumID, GuildID: guildID, Name: "episodes", Type: fakediscord.ChannelTypeForum, AvailableTags: []fakediscord.Tag{
			{ID: tagOther, Name: "Other show"},
			{ID: tagPodcast, Name: "Post Mortem"},
		}},
	}
}

func adapterCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adapterSafety)
	t.Cleanup(cancel)
	return ctx
}

// gate blocks a dependency until the test opens it, and tells the test when
// it is reached. A nil gate never blocks.
type gate struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
	// err is what the dependency returns once released (set before open).
	err error
}

func newGate() *gate { return &gate{started: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) pass(ctx context.Context) error {
	if g == nil {
		return nil
	}
	g.once.Do(func() { close(g.started) })
	select {
	case <-g.release:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// open lets the dependency return; it may be called more than once.
func (g *gate) open() {
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// waitStarted waits until the dependency is reached.
func (g *gate) waitStarted(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-g.started:
	case <-ctx.Done():
		t.Fatal("the command never reached its dependency")
	}
}

// gatedDigests backs `digest`, a Slow command: deferred at once.
type gatedDigests struct {
	g   *gate
	cat fixtureCatalog
}

func (d gatedDigests) Preview(ctx context.Context, _, _ string) (commands.DigestPreview, error) {
	if err := d.g.pass(ctx); err != nil {
		return commands.DigestPreview{}, err
	}
	eps, err := d.cat.Latest(ctx, 2)
	return commands.DigestPreview{Since: time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC), Episodes: eps}, err
}

// gatedStatus backs `status`, which is not Slow: deferred only once
// commands.QuickReply has passed without a reply.
type gatedStatus struct{ g *gate }

func (s gatedStatus) Status(ctx context.Context) (commands.StatusInfo, error) {
	if err := s.g.pass(ctx); err != nil {
		return commands.StatusInfo{}, err
	}
	return commands.StatusInfo{Version: "v9.9.9-test"}, nil
}

// recordingSubs is the subscriptions of the channels, in memory, with the
// calls made.
type recordingSubs struct {
	mu    sync.Mutex
	calls []string // "subscribe <channel>", "unsubscribe <channel>"
}

func (s *recordingSubs) Subscribe(_ context.Context, platform, channel string, topics []string) (commands.SubscriptionInfo, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, strings.TrimSpace("subscribe "+platform+" "+channel+" "+strings.Join(topics, " ")))
	return commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: "Post Mortem", Topics: topics, Language: "en"}, true, nil
}

func (s *recordingSubs) Unsubscribe(_ context.Context, platform, channel string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "unsubscribe "+platform+" "+channel)
	return true, nil
}

func (s *recordingSubs) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	return nil, nil
}

func (s *recordingSubs) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// routerOptions choose the blocking dependencies of adapterRouter.
type routerOptions struct {
	digest *gate // blocks `digest` (Slow)
	status *gate // blocks `status` (not Slow)
	subs   commands.Subscriptions
}

// adapterRouter is the whole command table over the Post Mortem feed (search,
// latest, episode, takeaways, digest, status, subscribe…), with suggestions
// for autocomplete.
func adapterRouter(t testing.TB, o routerOptions) *commands.Router {
	t.Helper()
	cat := fixtureCatalog{Episodes: postMortem(t).Episodes}
	if o.subs == nil {
		o.subs = &recordingSubs{}
	}
	return commands.New(prefix, commands.Deps{
		Catalog:       cat,
		Search:        fixtureSearch{Catalog: cat},
		Subscriptions: o.subs,
		Status:        gatedStatus{g: o.status},
		Digests:       gatedDigests{g: o.digest, cat: cat},
		Rand:          func(int) int { return 0 },
	})
}

// newFake starts a fakediscord with the test channels, a generous interaction
// deadline and a short heartbeat, unless fo says otherwise.
func newFake(t *testing.T, fo fakediscord.Options) *fakediscord.Server {
	t.Helper()
	if fo.Channels == nil {
		fo.Channels = adapterChannels()
	}
	if fo.InteractionDeadline == 0 {
		fo.InteractionDeadline = generousDeadline
	}
	if fo.HeartbeatInterval == 0 {
		fo.HeartbeatInterval = heartbeat
	}
	return fakediscord.New(t, fo)
}

// newAdapter returns an adapter on srv: its token, application, key and API
// URL, and a router over the Post Mortem feed unless ao has one. It waits for
// the interactions the adapter is answering when the test ends, before the
// fake closes.
func newAdapter(t *testing.T, srv *fakediscord.Server, ao discord.Options) *discord.Adapter {
	t.Helper()
	ao.APIURL = srv.APIURL()
	if ao.BotToken == "" {
		ao.BotToken = srv.BotToken()
	}
	if ao.ApplicationID == "" {
		ao.ApplicationID = srv.AppID()
	}
	if ao.PublicKey == "" {
		ao.PublicKey = srv.PublicKeyHex()
	}
	if ao.Router == nil {
		ao.Router = adapterRouter(t, routerOptions{})
	}
	a, err := discord.New(ao)
	if err != nil {
		t.Fatalf("discord.New: %v", err)
	}
	t.Cleanup(a.Wait)
	return a
}

// runGateway runs the adapter's gateway until the returned stop is called (or
// the test ends), once the fake saw it ready. stop cancels it and returns what
// RunGateway returned.
func runGateway(t *testing.T, srv *fakediscord.Server, a *discord.Adapter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunGateway(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(adapterSafety):
				err = errors.New("RunGateway did not return after its context ended")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("RunGateway = %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), adapterSafety)
	defer wcancel()
	if err := srv.WaitReady(wctx, 1); err != nil {
		t.Fatalf("the gateway never became ready: %v", err)
	}
	return stop
}

// gatewayAdapter starts a fake, an adapter with a router over ro, and its
// gateway.
func gatewayAdapter(t *testing.T, ro routerOptions, ao discord.Options) (*fakediscord.Server, *discord.Adapter) {
	t.Helper()
	srv := newFake(t, fakediscord.Options{})
	ao.Router = adapterRouter(t, ro)
	a := newAdapter(t, srv, ao)
	runGateway(t, srv, a)
	return srv, a
}

// slash is /postmortem <sub> with its options.
func slash(sub string, opts ...fakediscord.CommandOption) fakediscord.Interaction {
	return fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: appCommand,
		Options: []fakediscord.CommandOption{{Name: sub, Type: 1, Options: opts}}}
}

// channelSlash is /postmortem-channel <sub>: the commands of channel managers.
func channelSlash(sub string, opts ...fakediscord.CommandOption) fakediscord.Interaction {
	in := slash(sub, opts...)
	in.Name = channelCommand
	return in
}

// str is a string option.
func str(name, value string) fakediscord.CommandOption {
	return fakediscord.CommandOption{Name: name, Type: 3, Value: value}
}

// click is a click on a button with this custom_id.
func click(customID string) fakediscord.Interaction {
	return fakediscord.Interaction{Type: fakediscord.InteractionComponent, CustomID: customID}
}

// send sends an interaction over the gateway and returns its record once the
// bot answered it in time.
func send(t *testing.T, ctx context.Context, srv *fakediscord.Server, in fakediscord.Interaction) fakediscord.InteractionRecord {
	t.Helper()
	rec, err := srv.SendInteraction(ctx, in)
	if err != nil {
		t.Fatalf("SendInteraction: %v", err)
	}
	if rec.Response == nil || rec.Response.Late {
		t.Fatalf("interaction %s not answered in time: %+v", rec.Interaction.ID, rec.Response)
	}
	return rec
}

// waitOriginal waits until the deferred answer of an interaction is filled in
// (PATCH @original), or replaced by a followup, and returns the record.
func waitOriginal(t *testing.T, ctx context.Context, srv *fakediscord.Server, id string) fakediscord.InteractionRecord {
	t.Helper()
	var rec fakediscord.InteractionRecord
	err := srv.Wait(ctx, func() bool {
		rec, _ = srv.Interaction(id)
		return (rec.Original != nil && !rec.Original.EditedAt.IsZero()) || len(rec.Followups) > 0
	})
	if err != nil {
		t.Fatalf("the deferred answer of %s was never completed: %v", id, err)
	}
	return rec
}

// answer is what matters of an interaction's answer, for cmp.Diff.
type answer struct {
	Type      int
	Ephemeral bool
	// Silent says allowed_mentions is {"parse": []}: nothing can ping.
	Silent bool
	// Share says a "share in channel" button is offered.
	Share bool
}

func summarize(m *fakediscord.Message, typ int) answer {
	if m == nil {
		return answer{Type: typ}
	}
	am := m.AllowedMentions
	return answer{
		Type:      typ,
		Ephemeral: m.Flags&fakediscord.FlagEphemeral != 0,
		Silent:    am != nil && am.Parse != nil && len(am.Parse) == 0 && len(am.Users) == 0 && len(am.Roles) == 0,
		Share:     slices.ContainsFunc(customIDs(*m), func(id string) bool { return strings.HasPrefix(id, discord.CustomIDShare) }),
	}
}

// customIDs are the custom_ids of a message's buttons, in order.
func customIDs(m fakediscord.Message) []string {
	var out []string
	for _, row := range m.Components {
		if row.CustomID != "" {
			out = append(out, row.CustomID)
		}
		for _, c := range row.Components {
			if c.CustomID != "" {
				out = append(out, c.CustomID)
			}
		}
	}
	return out
}

// messageText is everything a message shows, for looking words up in it.
func messageText(m fakediscord.Message) string {
	parts := []string{m.Content}
	for _, e := range m.Embeds {
		parts = append(parts, e.Title, e.Description)
		for _, f := range e.Fields {
			parts = append(parts, f.Name, f.Value)
		}
		if e.Footer != nil {
			parts = append(parts, e.Footer.Text)
		}
		if e.Author != nil {
			parts = append(parts, e.Author.Name)
		}
	}
	for _, row := range m.Components {
		for _, c := range row.Components {
			parts = append(parts, c.Label)
		}
	}
	return strings.Join(parts, "\n")
}

// episode is episode n of Post Mortem.
func episode(t testing.TB, n int) feeds.Episode {
	t.Helper()
	return episodeNumber(t, postMortem(t), n)
}
