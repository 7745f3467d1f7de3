package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

// End-to-end tests of `pmbot run` and `pmbot poll --once` on Slack: the real binary
// (built once by TestMain) against fakeslack, which runs in the test process on
// 127.0.0.1 and enforces the platform contract (rate limits, Retry-After, the 3 s
// acknowledgement deadline, message validity). Nothing here waits on the clock: every
// wait is for a line the bot logs or for a state of the fake, bounded by
// slackSafety, a safety net rather than a measure.

// slackSafety bounds every wait of these tests.
const slackSafety = 2 * time.Minute

func slackContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slackSafety)
	t.Cleanup(cancel)
	return ctx
}

// slackChannels returns n channel ids and the fake workspace's channels, the bot a
// member of each.
func slackChannels(n int) ([]string, []fakeslack.Channel) {
	ids := make([]string, n)
	chans := make([]fakeslack.Channel, n)
	for i := range n {
		ids[i] = fmt.Sprintf("C0E2E%04d", i+1)
		chans[i] = fakeslack.Channel{ID: ids[i], Name: fmt.Sprintf("podcasts-%d", i+1), BotIsMember: true}
	}
	return ids, chans
}

// slackConfig writes a configuration following the feed files (named e2e, e2e-2, …),
// with a Slack subscription (no digest) for each channel, and returns its path.
// extra is appended at the top level (backfill, flood_limit, slack: …).
func slackConfig(t testing.TB, dir string, feedPaths []string, channels []string, extra string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("feeds:\n")
	for i, f := range feedPaths {
		name := "e2e"
		if i > 0 {
			name = fmt.Sprintf("e2e-%d", i+1)
		}
		fmt.Fprintf(&b, "  - name: %s\n    url: %s\n", name, f)
	}
	b.WriteString("subscriptions:\n")
	for _, c := range channels {
		fmt.Fprintf(&b, "  - platform: slack\n    channel: %s\n    digest:\n      enabled: false\n", c)
	}
	b.WriteString(extra)
	path := filepath.Join(dir, "pmbot.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// slackEnv is the environment that points the binary at the fake: its tokens and its
// Web API (Socket Mode follows the URL apps.connections.open returns).
func slackEnv(s *fakeslack.Server) []string {
	return []string{
		"PMBOT_DIRECTORY_URL=http://127.0.0.1:1",
		"PMBOT_SLACK_BOT_TOKEN=" + s.BotToken(),
		"PMBOT_SLACK_APP_TOKEN=" + s.AppToken(),
		"PMBOT_SLACK_API_URL=" + s.APIURL(),
	}
}

// botProcess is a running `pmbot run`, its log (stderr) kept and waited on.
type botProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed

	mu      sync.Mutex
	log     strings.Builder
	changed chan struct{} // closed and replaced on every write to log
}

func (p *botProcess) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.Write(b)
	close(p.changed)
	p.changed = make(chan struct{})
	return len(b), nil
}

// startBot starts `pmbot <args>` with env added to the test's environment. It is
// killed when the test ends if it still runs.
func startBot(t testing.TB, env []string, args ...string) *botProcess {
	t.Helper()
	return startBotTo(t, io.Discard, env, args...)
}

// startBotTo is startBot with the bot's stdout (the console's output) written
// to stdout.
func startBotTo(t testing.TB, stdout io.Writer, env []string, args ...string) *botProcess {
	t.Helper()
	p := &botProcess{t: t, exited: make(chan struct{}), changed: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = stdout
	p.cmd.Stderr = p
	// An open stdin keeps the console listening, as a terminal would.
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		p.stdin.Close()
	})
	return p
}

// logs returns what the bot logged so far.
func (p *botProcess) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLog waits until the bot logged a line containing substr.
func (p *botProcess) waitLog(ctx context.Context, substr string) {
	p.t.Helper()
	for {
		p.mu.Lock()
		found, ch := strings.Contains(p.log.String(), substr), p.changed
		p.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-p.exited:
			if !strings.Contains(p.logs(), substr) {
				p.t.Fatalf("pmbot exited (%v) before logging %q:\n%s", p.err, substr, p.logs())
			}
			return
		case <-ctx.Done():
			p.t.Fatalf("pmbot did not log %q: %v\n%s", substr, ctx.Err(), p.logs())
		}
	}
}

// waitLogCount waits until the bot logged n lines containing substr.
func (p *botProcess) waitLogCount(ctx context.Context, substr string, n int) {
	p.t.Helper()
	for {
		p.mu.Lock()
		got, ch := strings.Count(p.log.String(), substr), p.changed
		p.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-p.exited:
			p.t.Fatalf("pmbot exited (%v) after logging %q %d times, want %d:\n%s", p.err, substr, got, n, p.logs())
		case <-ctx.Done():
			p.t.Fatalf("pmbot logged %q %d times, want %d: %v\n%s", substr, got, n, ctx.Err(), p.logs())
		}
	}
}

// logDelivered is what the dispatcher logs (at debug level) once a delivery was
// posted and recorded as sent.
const logDelivered = "msg=delivered "

// kill SIGKILLs the bot and waits for it to be gone.
func (p *botProcess) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// stop sends SIGTERM and waits for a clean exit (status 0).
func (p *botProcess) stop(ctx context.Context) {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.t.Fatalf("pmbot did not stop after SIGTERM:\n%s", p.logs())
	}
	if p.err != nil {
		p.t.Fatalf("pmbot stopped with %v:\n%s", p.err, p.logs())
	}
}

// deliveryKey returns a message's delivery key and kind from its pmbot_delivery
// metadata, or "" when it has none.
func deliveryKey(t *testing.T, m fakeslack.Message) (key, kind string) {
	t.Helper()
	if m.Metadata == nil || m.Metadata.EventType != "pmbot_delivery" {
		return "", ""
	}
	var p struct{ Key, Kind string }
	if err := json.Unmarshal(m.Metadata.EventPayload, &p); err != nil {
		t.Errorf("metadata payload %s: %v", m.Metadata.EventPayload, err)
	}
	return p.Key, p.Kind
}

// waitEveryChannel waits until each channel holds at least n messages.
func waitEveryChannel(ctx context.Context, t *testing.T, s *fakeslack.Server, channels []string, n int) {
	t.Helper()
	err := s.Wait(ctx, func() bool {
		for _, c := range channels {
			if len(s.Messages(c)) < n {
				return false
			}
		}
		return true
	})
	if err != nil {
		got := map[string]int{}
		for _, c := range channels {
			got[c] = len(s.Messages(c))
		}
		t.Fatalf("waiting for %d messages in each of %d channels: %v; got %v", n, len(channels), err, got)
	}
}

// waitTotal waits until the workspace holds at least n channel messages.
func waitTotal(ctx context.Context, t *testing.T, s *fakeslack.Server, n int) {
	t.Helper()
	if err := s.Wait(ctx, func() bool { return len(s.AllMessages()) >= n }); err != nil {
		t.Fatalf("waiting for %d messages: %v; got %d", n, err, len(s.AllMessages()))
	}
}

// checkExactlyOnce checks that every channel holds exactly perChannel messages, each
// posted with chat.postMessage and carrying pmbot_delivery metadata, no delivery key
// twice in the workspace. It returns the messages by delivery key.
func checkExactlyOnce(t *testing.T, s *fakeslack.Server, channels []string, perChannel int) map[string]fakeslack.Message {
	t.Helper()
	byKey := map[string]fakeslack.Message{}
	for _, c := range channels {
		ms := s.Messages(c)
		if len(ms) != perChannel {
			t.Errorf("channel %s holds %d messages, want %d", c, len(ms), perChannel)
		}
		for _, m := range ms {
			key, _ := deliveryKey(t, m)
			switch {
			case m.Via != fakeslack.ViaPostMessage:
				t.Errorf("channel %s: message %s came by %s, want chat.postMessage", c, m.TS, m.Via)
			case key == "":
				t.Errorf("channel %s: message %s has no pmbot_delivery metadata (%+v)", c, m.TS, m.Metadata)
			case byKey[key].TS != "":
				t.Errorf("delivery %s posted twice: %s in %s and %s in %s", key, byKey[key].TS, byKey[key].Channel, m.TS, c)
			default:
				byKey[key] = m
			}
		}
	}
	return byKey
}

// slackPosted is what checkOutbox compares of Slack messages.
func slackPosted(byKey map[string]fakeslack.Message) map[string]posted {
	out := make(map[string]posted, len(byKey))
	for k, m := range byKey {
		out[k] = posted{channel: m.Channel, id: m.TS}
	}
	return out
}

// outboxAfterKill reads the database a killed bot left: how many deliveries it
// recorded as sent, and how many messages in the workspace carry the key of a
// delivery it did not record (posts it made, then died before recording).
func outboxAfterKill(t *testing.T, s *fakeslack.Server, dbPath string) (sent, unrecorded int) {
	t.Helper()
	recorded := recordedKeys(t, dbPath)
	for _, m := range s.AllMessages() {
		if key, _ := deliveryKey(t, m); key != "" && !recorded[key] {
			unrecorded++
		}
	}
	return len(recorded), unrecorded
}

// TestSlackCommandsAnsweredInTime: with the bot connected over Socket Mode, a
// /postmortem command is acknowledged within Slack's 3 seconds (the fake's default
// deadline, enforced: a late ack is a contract violation) and its answer, the right
// one, reaches the user within those 3 seconds too, in the acknowledgement or
// through response_url.
func TestSlackCommandsAnsweredInTime(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	ctx := slackContext(t)
	channels, chans := slackChannels(1)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans}) // AckDeadline: Slack's 3 s
	feed, err := filepath.Abs("../../testdata/postmortem/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := slackConfig(t, dir, []string{feed}, channels, "")
	bot := startBot(t, slackEnv(fake), "--config", cfg, "--db", filepath.Join(dir, "state.db"), "run")
	// The answers are about the feed: wait until it was read, and connected.
	bot.waitLog(ctx, "first poll")
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("Socket Mode: %v\n%s", err, bot.logs())
	}

	for _, tc := range []struct{ text, want string }{
		{"latest", "Incident BGP chez Facebook"},
		{"search bgp", "Border Gateway Protocol"},
	} {
		sent := time.Now()
		ack, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/postmortem", Text: tc.text, ChannelID: channels[0]})
		if err != nil {
			t.Fatalf("/postmortem %s: %v\n%s", tc.text, err, bot.logs())
		}
		if ack.Late || ack.Dropped || len(ack.Problems) > 0 {
			t.Errorf("/postmortem %s: acknowledged after %s (late %v, dropped %v, problems %v); Slack's deadline is %s",
				tc.text, ack.Elapsed, ack.Late, ack.Dropped, ack.Problems, fakeslack.DefaultAckDeadline)
		}
		// The reply: in the acknowledgement, else through response_url.
		var reply string
		var at time.Time
		if len(ack.Payload) > 0 {
			reply, at = string(ack.Payload), sent.Add(ack.Elapsed)
		} else {
			rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
			if err != nil {
				t.Fatalf("/postmortem %s: no reply through response_url: %v\n%s", tc.text, err, bot.logs())
			}
			reply, at = string(rs[0].Body), rs[0].At
		}
		if d := at.Sub(sent); d > fakeslack.DefaultAckDeadline {
			t.Errorf("/postmortem %s: the reply came %s after the command; want within %s", tc.text, d, fakeslack.DefaultAckDeadline)
		}
		if !strings.Contains(reply, tc.want) {
			t.Errorf("/postmortem %s: reply does not mention %q:\n%s", tc.text, tc.want, reply)
		}
		// What the user sees: one private answer in the channel.
		eph := fake.Ephemerals(channels[0])
		if len(eph) == 0 || eph[len(eph)-1].InvocationID != ack.InvocationID || eph[len(eph)-1].Recipient != fake.Options().UserID {
			t.Errorf("/postmortem %s: no private answer shown to the user (ephemerals %d)", tc.text, len(eph))
		}
		t.Logf("/postmortem %s: acknowledged in %s, answered in %s", tc.text, ack.Elapsed.Round(time.Millisecond), at.Sub(sent).Round(time.Millisecond))
	}
	if n := len(fake.AllMessages()); n != 0 {
		t.Errorf("%d channel messages; a first poll with backfill 0 and private answers post none", n)
	}
	bot.stop(ctx)
}

// TestSlackNewEpisodeOneMessagePerChannel: the first poll (by `run`, connected over
// Socket Mode) records the feed and posts nothing; a new episode in the feed then
// gives exactly one message in each subscribed channel, carrying its delivery key as
// pmbot_delivery metadata; a poll after that posts nothing more. The second poll is
// `poll --once` on the same database: `run` would poll again only after
// poll_interval (1 minute at least), and this is the command an operator would use.
func TestSlackNewEpisodeOneMessagePerChannel(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	ctx := slackContext(t)
	channels, chans := slackChannels(3)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans})
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := slackConfig(t, dir, []string{feed}, channels, "backfill: 0\n")
	db := filepath.Join(dir, "state.db")
	env := slackEnv(fake)

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	bot.waitLog(ctx, "first poll")
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("Socket Mode: %v\n%s", err, bot.logs())
	}
	bot.stop(ctx)
	if calls := fake.Calls("chat.postMessage"); len(calls) != 0 {
		t.Fatalf("the first poll posted %d messages; want none (backfill 0)", len(calls))
	}

	testFeed(t, dir, 4, nil) // episode 4 is out
	stdout, stderr, code := pmbotEnv(t, env, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 {
		t.Fatalf("poll --once: code %d stderr %q", code, stderr)
	}
	var lines []pollLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var pl pollLine
		if err := json.Unmarshal([]byte(l), &pl); err != nil {
			t.Fatalf("poll --once --json line %q: %v", l, err)
		}
		lines = append(lines, pl)
	}
	var got []string
	for _, l := range lines {
		if l.Platform != "slack" || l.Kind != "episode" || l.GUID != "e2e-4" || l.Episodes != 1 {
			t.Errorf("poll --once reported %+v; want the announcement of e2e-4 on slack", l)
		}
		got = append(got, l.Channel)
	}
	slices.Sort(got)
	if !slices.Equal(got, channels) {
		t.Errorf("poll --once delivered to %v, want %v", got, channels)
	}

	byKey := checkExactlyOnce(t, fake, channels, 1)
	for key, m := range byKey {
		if _, kind := deliveryKey(t, m); kind != "episode" {
			t.Errorf("delivery %s in %s has kind %q, want episode", key, m.Channel, kind)
		}
		if !strings.Contains(m.Text, "Episode number 4") {
			t.Errorf("message in %s does not announce episode 4: %q", m.Channel, m.Text)
		}
	}
	checkOutbox(t, db, slackPosted(byKey))

	// Nothing new: nothing posted.
	stdout, stderr, code = pmbotEnv(t, env, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("third poll: code %d stdout %q stderr %q; want nothing new", code, stdout, stderr)
	}
	checkExactlyOnce(t, fake, channels, 1)
}

// TestSlackRateLimitStorm: every Web API call answers 429 (Retry-After 1 s) while the
// bot announces an episode in 10 channels. Once the storm passes every channel
// holds the announcement exactly once, and the bot never called again before a
// Retry-After elapsed (the fake records that as a contract violation, which fails
// the test).
func TestSlackRateLimitStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	ctx := slackContext(t)
	channels, chans := slackChannels(10)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans})
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := slackConfig(t, dir, []string{feed}, channels, "backfill: 1\n")
	db := filepath.Join(dir, "state.db")

	// The storm begins in the middle of the fan-out, at the post to the fourth
	// channel: it answers 429, Retry-After 1 s (the bot then holds every post for
	// that second, which is when the test turns the storm on), and from then on
	// every call answers 429 until three more were refused.
	fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Channel: channels[3], Error: "ratelimited", RetryAfter: time.Second})
	bot := startBot(t, slackEnv(fake), "--config", cfg, "--db", db, "--log-level", "debug", "run")
	const storm = 3
	if err := fake.Wait(ctx, func() bool { return fake.Stats().RateLimited >= 1 }); err != nil {
		t.Fatalf("waiting for the first 429: %v\n%s", err, bot.logs())
	}
	if err := fake.WaitConnected(ctx); err != nil { // the storm is for posts
		t.Fatalf("Socket Mode: %v\n%s", err, bot.logs())
	}
	fake.RateLimitStorm(time.Second)
	if err := fake.Wait(ctx, func() bool { return fake.Stats().RateLimited >= 1+storm }); err != nil {
		t.Fatalf("waiting for %d answers 429: %v\n%s", 1+storm, err, bot.logs())
	}
	fake.ClearFaults()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log:\n%s", bot.logs())
		}
	})
	waitEveryChannel(ctx, t, fake, channels, 1)
	bot.waitLogCount(ctx, logDelivered, len(channels))
	bot.stop(ctx)

	byKey := checkExactlyOnce(t, fake, channels, 1)
	checkOutbox(t, db, slackPosted(byKey))
	limited := 0
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Status == 429 {
			limited++
		}
	}
	if limited < 1+storm {
		t.Errorf("%d posts answered 429; the storm did not hit the fan-out", limited)
	}
	for _, v := range fake.Violations() {
		t.Errorf("contract violation: %s", v)
	}
	t.Logf("%d posts answered 429; %d Web API calls in all", limited, len(fake.Calls("")))
}

// killTrial runs a fan-out of one announcement per feed to every channel, SIGKILLs
// the bot once the fake has received kill messages (or, with dropPost, once the post
// to that channel was made and its answer lost), starts it again and checks that
// every channel got every announcement exactly once and that the outbox recorded
// each with its message. It returns how many posts the killed process made without
// recording them.
func killTrial(t *testing.T, channels []string, chans []fakeslack.Channel, feeds, kill int, dropPost string) int {
	t.Helper()
	ctx := slackContext(t)
	fake := fakeslack.New(t, fakeslack.Options{
		Channels: chans,
		// The bot spaces posts 2 ms apart here (posts_per_minute 30000) so that
		// trials are quick; the workspace limit is opened accordingly. Posts to
		// one channel stay limited as on Slack (1 a second, bursts of 3).
		WorkspaceRate: fakeslack.PerSecond(1000, 100),
	})
	if dropPost != "" {
		// The post is made, and its answer lost: the bot cannot know it was posted.
		fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Channel: dropPost, DropResponse: true})
	}
	dir := t.TempDir()
	var paths []string
	for i := range feeds {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, testFeed(t, sub, 3+i, nil))
	}
	cfg := slackConfig(t, dir, paths, channels, "backfill: 1\nflood_limit: 3\nslack:\n  posts_per_minute: 30000\n")
	db := filepath.Join(dir, "state.db")
	env := slackEnv(fake)
	want := feeds * len(channels)

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	if dropPost != "" {
		if _, err := fake.WaitMessages(ctx, dropPost, 1); err != nil {
			t.Fatalf("waiting for the post to %s: %v\n%s", dropPost, err, bot.logs())
		}
	} else {
		waitTotal(ctx, t, fake, kill)
	}
	bot.kill()
	killedLog := bot.logs()
	sent, lost := outboxAfterKill(t, fake, db)

	// Started again, the bot posts the rest. It is stopped once it logged that it
	// recorded every delivery left (the dispatcher logs "delivered" at debug level
	// after recording one), so that nothing is in flight when it stops.
	bot = startBot(t, env, "--config", cfg, "--db", db, "--log-level", "debug", "run")
	waitEveryChannel(ctx, t, fake, channels, feeds)
	bot.waitLogCount(ctx, logDelivered, want-sent)
	bot.stop(ctx)

	byKey := checkExactlyOnce(t, fake, channels, feeds)
	if len(byKey) != want {
		t.Errorf("%d distinct deliveries posted, want %d", len(byKey), want)
	}
	checkOutbox(t, db, slackPosted(byKey))
	if dropPost != "" {
		looked := false
		for _, c := range fake.Calls("conversations.history") {
			looked = looked || c.Params.Get("channel") == dropPost && c.Params.Get("include_all_metadata") == "1" && c.Error == ""
		}
		if !looked {
			t.Errorf("the restarted bot never read %s's history with its metadata; history calls: %+v", dropPost, fake.Calls("conversations.history"))
		}
	}
	if t.Failed() {
		t.Logf("log of the killed bot:\n%s\nlog of the restarted bot:\n%s", killedLog, bot.logs())
	}
	return lost
}

// TestSlackKillDuringFanOut SIGKILLs `pmbot run` in the middle of a fan-out of two
// announcements (one from each of two feeds) to 50 channels, at a different point in
// each of 20 trials (after the k-th message the fake received), then starts it
// again: every channel holds each announcement exactly once, and the outbox records
// each delivery as sent with the ts of its one message. A kill right after the fake
// received a post most often lands before the bot recorded it: the restarted bot
// finds those posts in the channels' history by their delivery key instead of
// posting again.
func TestSlackKillDuringFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and kills the real binary")
	}
	t.Parallel()
	const trials, feeds = 20, 2
	channels, chans := slackChannels(50)
	rng := rand.New(rand.NewPCG(7, 11))
	var mu sync.Mutex
	lost := 0
	t.Run("trials", func(t *testing.T) {
		for i := range trials {
			kill := 1 + rng.IntN(feeds*len(channels)-1)
			t.Run(fmt.Sprintf("%d-kill-after-%d", i, kill), func(t *testing.T) {
				t.Parallel()
				n := killTrial(t, channels, chans, feeds, kill, "")
				mu.Lock()
				lost += n
				mu.Unlock()
			})
		}
	})
	t.Logf("%d trials: %d posts made by a killed process before it recorded them were found again, not reposted", trials, lost)
}

// TestSlackKillBetweenPostAndRecord: the answer to one post is lost (the fake posts
// the message and cuts the connection), and the bot is SIGKILLed then: its database
// does not record that delivery as sent. Started again, the bot looks the delivery's
// key up in the channel's history (with include_all_metadata) and records the post
// it finds instead of posting a second one.
func TestSlackKillBetweenPostAndRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and kills the real binary")
	}
	t.Parallel()
	channels, chans := slackChannels(5)
	lost := killTrial(t, channels, chans, 1, 0, channels[2])
	if lost < 1 {
		t.Errorf("after the kill, %d posts were unrecorded; want the one whose answer was lost", lost)
	}
}

// TestSlackGracefulStopRecordsPostInFlight: SIGTERM arrives while a post is in
// flight (the fake has just received it): the bot finishes that post and records
// it before it stops, as the README promises ("it finishes the message in flight
// and closes the database"), so nothing is left for the next start to look up.
// Started again, the bot posts the rest and nothing twice.
func TestSlackGracefulStopRecordsPostInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	ctx := slackContext(t)
	channels, chans := slackChannels(5)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans})
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := slackConfig(t, dir, []string{feed}, channels, "backfill: 1\n")
	db := filepath.Join(dir, "state.db")
	env := slackEnv(fake)

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	waitTotal(ctx, t, fake, 2)
	bot.stop(ctx)
	if _, unrecorded := outboxAfterKill(t, fake, db); unrecorded > 0 {
		t.Errorf("after a graceful stop, %d posts are in the channels but not recorded as sent: the post in flight was not finished and recorded\n%s", unrecorded, bot.logs())
	}

	sent, _ := outboxAfterKill(t, fake, db)
	bot = startBot(t, env, "--config", cfg, "--db", db, "--log-level", "debug", "run")
	waitEveryChannel(ctx, t, fake, channels, 1)
	bot.waitLogCount(ctx, logDelivered, len(channels)-sent)
	bot.stop(ctx)
	checkOutbox(t, db, slackPosted(checkExactlyOnce(t, fake, channels, 1)))
}

// TestSlackRefusedAppTokenIsReported: when Slack refuses the app-level token
// (Socket Mode cannot connect, so no command will ever be answered), `pmbot run`
// says so in its log at once, naming PMBOT_SLACK_APP_TOKEN, and goes on posting
// announcements.
func TestSlackRefusedAppTokenIsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	ctx := slackContext(t)
	channels, chans := slackChannels(1)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans})
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := slackConfig(t, dir, []string{feed}, channels, "backfill: 1\n")
	env := append(slackEnv(fake), "PMBOT_SLACK_APP_TOKEN=xapp-1-A0FAKEAPP-0000-revoked")
	bot := startBot(t, env, "--config", cfg, "--db", filepath.Join(dir, "state.db"), "run")
	bot.waitLog(ctx, "PMBOT_SLACK_APP_TOKEN")
	if strings.Contains(bot.logs(), "xapp-1-A0FAKEAPP-0000-revoked") {
		t.Errorf("the log shows the token:\n%s", bot.logs())
	}
	// Announcements do not need Socket Mode.
	waitEveryChannel(ctx, t, fake, channels, 1)
	bot.stop(ctx)
}
