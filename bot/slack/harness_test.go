package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

// This file is the harness of the adapter's tests: the real slack-go client of
// the adapter against fakeslack, a router over the Post Mortem feed, and
// commands that block until the test lets them go. Nothing in these tests waits
// on time: they wait on channels and fakeslack's Wait helpers, bounded by
// adapterSafety so that a bug fails the test instead of hanging it.

// adapterSafety bounds every wait; nothing waits on time otherwise.
const adapterSafety = 2 * time.Minute

// generousDeadline is the acknowledgement deadline of the tests whose point is
// not the deadline: a loaded machine must not fail them.
const generousDeadline = time.Minute

const (
	slashCommand = "/postmortem"
	generalID    = "C0GENERAL"
)

func adapterCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adapterSafety)
	t.Cleanup(cancel)
	return ctx
}

// adapterCatalog serves the episodes of a feed, newest first.
type adapterCatalog struct{ eps []feeds.Episode }

func (c adapterCatalog) Latest(_ context.Context, n int) ([]feeds.Episode, error) {
	return c.eps[:min(n, len(c.eps))], nil
}

func (c adapterCatalog) ByNumber(_ context.Context, n int) (feeds.Episode, error) {
	for _, ep := range c.eps {
		if ep.Number == n {
			return ep, nil
		}
	}
	return feeds.Episode{}, commands.ErrNoEpisode
}

func (c adapterCatalog) All(context.Context) ([]feeds.Episode, error) { return c.eps, nil }

// postMortemCatalog is the Post Mortem feed (newest first, as parsed).
func postMortemCatalog(t testing.TB) adapterCatalog {
	t.Helper()
	return adapterCatalog{eps: feedstest.PostMortem(t).Episodes}
}

// adapterSubs is one workspace's subscriptions, in memory.
type adapterSubs struct {
	mu    sync.Mutex
	calls []string // "subscribe C…", "unsubscribe C…"
}

func (s *adapterSubs) Subscribe(_ context.Context, _, channel string, topics []string) (commands.SubscriptionInfo, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "subscribe "+channel)
	return commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: "Post Mortem", Topics: topics, Language: "en"}, true, nil
}

func (s *adapterSubs) Unsubscribe(_ context.Context, _, channel string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "unsubscribe "+channel)
	return true, nil
}

func (s *adapterSubs) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	return nil, nil
}

func (s *adapterSubs) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// cmdGate is a command handler that blocks until the test opens it, and tells the
// test when it started.
type cmdGate struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newCmdGate() *cmdGate {
	return &cmdGate{started: make(chan struct{}), release: make(chan struct{})}
}

func (g *cmdGate) handler(header string) commands.Handler {
	return func(ctx context.Context, req commands.Request) (commands.Reply, error) {
		g.once.Do(func() { close(g.started) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return commands.Reply{}, ctx.Err()
		}
		return commands.Reply{Header: header, Text: "done for " + req.UserID, Private: true}, nil
	}
}

// open lets the handler finish; it may be called more than once.
func (g *cmdGate) open() {
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// waitStarted waits until the handler runs.
func (g *cmdGate) waitStarted(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-g.started:
	case <-ctx.Done():
		t.Fatal("the command never started")
	}
}

// hugeLines is a reply of about 30 KB of JSON (CJK text is three bytes a
// character), within every Block Kit limit: too large for a Socket Mode
// acknowledgement (20 KB), fine for response_url.
func hugeLines() []string {
	line := strings.Repeat("障害報告書の教訓", 60) // 480 characters
	out := make([]string, 20)
	for i := range out {
		out[i] = line
	}
	return out
}

// routerOptions choose the commands of adapterRouter beyond the Post Mortem
// table.
type routerOptions struct {
	// slow replaces digest (a Slow command) by one that blocks on the gate.
	slow *cmdGate
	// stall adds "stall", a command that is not Slow but blocks on the gate.
	stall *cmdGate
	subs  commands.Subscriptions
}

// adapterRouter is the whole command table over the Post Mortem feed (search,
// latest, takeaways, help…), with "huge" (a reply over 20 KB), "boom" (a
// handler that panics) and, as asked, blocking commands.
func adapterRouter(t testing.TB, o routerOptions) *commands.Router {
	t.Helper()
	cat := postMortemCatalog(t)
	deps := commands.Deps{Catalog: cat, Subscriptions: o.subs, Rand: func(n int) int { return 0 }}
	var cmds []commands.Command
	for _, c := range commands.New(slashCommand, deps).Commands() {
		switch {
		case c.Name == "help": // NewRouter adds it again
			continue
		case c.Name == "digest" && o.slow != nil:
			c.Handler = o.slow.handler("Digest preview")
		}
		cmds = append(cmds, c)
	}
	if o.stall != nil {
		cmds = append(cmds, commands.Command{Name: "stall", Usage: "stall", Description: "Blocks until the test says.", Handler: o.stall.handler("Stalled")})
	}
	cmds = append(cmds, commands.Command{
		Name: "huge", Usage: "huge", Description: "A reply too large for an acknowledgement.",
		Handler: func(context.Context, commands.Request) (commands.Reply, error) {
			return commands.Reply{Header: "Huge", Bullets: hugeLines(), Private: true}, nil
		},
	})
	cmds = append(cmds, commands.Command{
		Name: "boom", Usage: "boom", Description: "A handler with a bug.",
		Handler: func(context.Context, commands.Request) (commands.Reply, error) {
			var eps []feeds.Episode
			return commands.Reply{Header: eps[3].Title}, nil // index out of range
		},
	})
	return commands.NewRouter(slashCommand, cmds)
}

// usersInfo answers users.info, which fakeslack does not serve, in front of it:
// admins are workspace admins, everyone else a plain member. Other calls go on
// to fakeslack.
type usersInfo struct {
	admins map[string]bool
	calls  atomic.Int32
}

func (u *usersInfo) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/users.info") {
		return http.DefaultTransport.RoundTrip(r)
	}
	u.calls.Add(1)
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	if r.Header.Get("Authorization") == "" && form.Get("token") == "" {
		return nil, errors.New("users.info called without a token")
	}
	id := form.Get("user")
	resp := map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "is_admin": u.admins[id]}}
	b, _ := json.Marshal(resp)
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)), Request: r,
	}, nil
}

// newUsersClient is an HTTP client for the adapter that answers users.info
// with users and sends everything else to fakeslack.
func newUsersClient(users *usersInfo) *http.Client {
	return &http.Client{Transport: users, Timeout: adapterSafety}
}

// newAdapter starts a fakeslack with fo and an adapter on it with ao, whose
// tokens, API URL, clock and router are filled in when empty. It waits for the
// commands the adapter is answering when the test ends, before the fake closes.
func newAdapter(t *testing.T, fo fakeslack.Options, ao slack.Options) (*fakeslack.Server, *slack.Adapter) {
	t.Helper()
	fake := fakeslack.New(t, fo)
	if ao.BotToken == "" {
		ao.BotToken = fake.BotToken()
	}
	if ao.AppToken == "" {
		ao.AppToken = fake.AppToken()
	}
	if ao.SigningSecret == "" {
		ao.SigningSecret = fake.SigningSecret()
	}
	ao.APIURL = fake.APIURL()
	if ao.Now == nil {
		ao.Now = fake.Options().Clock
	}
	if ao.Router == nil {
		ao.Router = adapterRouter(t, routerOptions{})
	}
	a := slack.New(ao)
	t.Cleanup(a.Wait)
	return fake, a
}

// runSocketMode runs the adapter's Socket Mode until the returned stop is
// called (or the test ends); stop cancels it and returns what RunSocketMode
// returned.
func runSocketMode(t *testing.T, a *slack.Adapter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunSocketMode(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(adapterSafety):
				err = errors.New("RunSocketMode did not return after its context ended")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("RunSocketMode = %v", err)
		}
	})
	return stop
}

// answerJSON is a command's answer as sent to Slack.
type answerJSON struct {
	Text            string            `json:"text"`
	Blocks          []json.RawMessage `json:"blocks"`
	ResponseType    string            `json:"response_type"`
	ReplaceOriginal bool              `json:"replace_original"`
	DeleteOriginal  bool              `json:"delete_original"`
	UnfurlLinks     *bool             `json:"unfurl_links"`
}

func decodeReply(t *testing.T, raw []byte) answerJSON {
	t.Helper()
	var r answerJSON
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply %.300s is not JSON: %v", raw, err)
	}
	return r
}

// all returns the text of a reply and of its blocks, for searching words in it.
func (r answerJSON) all() string {
	var b strings.Builder
	b.WriteString(r.Text)
	for _, blk := range r.Blocks {
		b.Write(blk)
	}
	return b.String()
}

// findButtonID finds a button by the start of its action_id and its value in
// message blocks, and returns its action_id.
func findButtonID(t *testing.T, blocks json.RawMessage, kind, value string) string {
	t.Helper()
	var bs []struct {
		Type      string            `json:"type"`
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks %.300s: %v", blocks, err)
	}
	var seen []string
	for _, b := range bs {
		els := b.Elements
		if len(b.Accessory) > 0 {
			els = append(els, b.Accessory)
		}
		for _, raw := range els {
			var e struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			}
			if json.Unmarshal(raw, &e) != nil || e.Type != "button" {
				continue
			}
			seen = append(seen, e.ActionID+"="+e.Value)
			if slack.ActionOf(e.ActionID) == kind && (value == "" || e.Value == value) {
				return e.ActionID
			}
		}
	}
	t.Fatalf("no %s button with value %q in the message; buttons: %v", kind, value, seen)
	return ""
}

// describeResponses shows response_url posts briefly, for failure messages.
func describeResponses(rs []fakeslack.Response) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("{%s replace:%v delete:%v text:%.80q}", r.ResponseType, r.ReplaceOriginal, r.DeleteOriginal, r.Text))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
