package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/store/storetest"
)

// The sizes of BenchmarkReplicasFanOut. The defaults keep a casual `-bench .`
// to a few minutes; issue 10's figure is -replicas.channels 10000.
var (
	replicasChannels = flag.Int("replicas.channels", 200,
		"channels BenchmarkReplicasFanOut announces one episode in (issue 10: 10000)")
	// Slack's workspace allows 600 posts a minute (the fake's default), and the
	// bot is installed in one workspace: 10,000 posts would take 17 minutes a
	// run, whatever the replicas, and show nothing 3,000 do not.
	replicasSlackMax = flag.Int("replicas.slackmax", 3000,
		"most Slack channels BenchmarkReplicasFanOut announces in (all in the one workspace: 3000 take 5 minutes)")
)

// replicaServers is how many Discord servers the channels are spread over.
const replicaServers = 100

// BenchmarkReplicasFanOut announces one new episode in many channels with 1, 2
// and 4 replicas (`pmbot run`, the real binary) on one fresh PostgreSQL schema,
// against the fakes enforcing the platforms' limits, and checks that every
// channel holds the announcement exactly once (it fails otherwise).
//
// Discord: -replicas.channels channels spread over 100 servers. Discord's
// global limit, 50 requests a second, counts the bot's requests from every
// replica together; the fake enforces it, 5 messages per 5 s per channel, and
// no per-server limit (Discord publishes none for Create Message). Replicas
// divide the global rate among themselves (shareRates): they cannot
// beat channels/50 s, and must not draw global 429s trying.
//
// Slack: the bot is one app installed in one workspace (one bot token), so the
// channels are all in it: min(-replicas.channels, -replicas.slackmax). The fake
// allows 1 post a second per channel (bursts of 3) and 600 a minute in the
// workspace (bursts of 100): the workspace's limit binds, and replicas do not
// raise it.
//
// Each run: the feed (the Post Mortem fixture, over HTTP) is polled once by
// `pmbot poll --once` with backfill 0, so the replicas start quiet; the feed's
// next poll is set a settling time ahead; the replicas start and settle (one
// holds the poller lease, the others say they wait; on Discord each says how
// many share the rate; on Slack each connects Socket Mode); then one new
// episode appears in the feed, which the lease holder fetches when due. The
// clock runs from that fetch to the last post the fake accepted. It reports:
//
//	s              seconds from the poll's fetch to the last post accepted
//	deliveries/s   channels / s
//	bound-s        the platform's limit: Discord channels/50; Slack
//	               (channels − the workspace burst of 100) / 10 a second
//	x-bound        s / bound-s (below 1 is possible on Discord: see
//	               window-bound-s)
//	window-bound-s Discord: the fake counts in fixed windows of one second,
//	               so the last window of 50 opens ⌈channels/50⌉−1 s after
//	               the first (199 s for 10,000)
//	pace-bound-s   what the replicas' own pacing allows: Discord, channels at
//	               replicas × ⌊50/replicas⌋ a second; Slack, each replica at
//	               posts_per_minute (600) unshared
//	429s           answers 429 the fake served from the fetch on (on Discord
//	               each channel gets one post, under its bucket of 5: a 429 is
//	               the global limit's)
//	invalid        Discord: 401, 403 and 429 answers (the Cloudflare ban budget,
//	               10,000 per 10 minutes)
//	violations     contract violations the fake recorded (a call before a
//	               Retry-After elapsed…); logged, not failing
//	lost, doubled  channels without the announcement; messages beyond one
//	reposts        posts the fake accepted beyond one per channel (Discord's
//	               nonce folds a repeat into the first message: not doubled,
//	               but a request spent)
//	rK-deliveries  deliveries replica K logged (r1 holds the poller lease)
//	rK-first-s     seconds from the fetch to replica K's first delivery (−1:
//	               none)
//
//	PMBOT_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./cmd/pmbot -run '^$' -bench ReplicasFanOut -benchtime 1x -replicas.channels 10000 -timeout 90m
func BenchmarkReplicasFanOut(b *testing.B) {
	storetest.PostgresBase(b) // skip in one line without PostgreSQL
	for _, platform := range []string{"discord", "slack"} {
		for _, replicas := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/replicas-%d", platform, replicas), func(b *testing.B) {
				n := *replicasChannels
				if platform == "slack" {
					n = min(n, *replicasSlackMax)
				}
				var r fanOutResult
				for b.Loop() {
					p := discordFanOut
					if platform == "slack" {
						p = slackFanOut
					}
					r = replicasFanOut(b, p(b, n, replicas), replicas)
				}
				r.report(b)
			})
		}
	}
}

// fanOutPost is one attempt to post an announcement, as the fake saw it.
type fanOutPost struct {
	channel string
	ok      bool // the fake accepted it
	at      time.Time
}

// fanOutPlatform is what a run needs of one platform: its fake, and the
// bounds its limits set.
type fanOutPlatform struct {
	platform string
	channels []string
	servers  int // Discord servers or Slack workspaces the channels are in
	env      []string
	// settled waits for what each replica does at start on this platform.
	settled func(ctx context.Context, bots []*botProcess)
	// posts returns every attempt to post in a channel so far.
	posts func() []fanOutPost
	// counters returns the 429s and, on Discord, the invalid requests so far.
	counters func() (limited, invalid int)
	// messages returns the delivery keys of a channel's messages ("" for a
	// message without one).
	messages   func(channel string) []string
	violations func() []string
	bound      time.Duration
	paceBound  time.Duration
	// windowBound is Discord's bound in the fake's fixed windows of one
	// second: the last window of 50 opens ⌈channels/50⌉−1 s after the first.
	windowBound time.Duration
}

// discordFanOut is the Discord fake with n channels over replicaServers
// servers, Discord's limits (the defaults), violations counted and not fatal.
func discordFanOut(b *testing.B, n, replicas int) *fanOutPlatform {
	channels, chans := discordChannels(n)
	for i := range chans {
		chans[i].GuildID = fmt.Sprintf("4100000000%08d", i%replicaServers+1)
	}
	fake := fakediscord.New(b, fakediscord.Options{Channels: chans, AllowViolations: true})
	rate := fake.Options().GlobalRate
	perSecond := float64(rate.N) / rate.Per.Seconds()
	// Each replica keeps to ⌊rate/replicas⌋ (discord.Adapter.ShareGlobalRate).
	paced := float64(replicas*max(rate.N/replicas, 1)) / rate.Per.Seconds()
	return &fanOutPlatform{
		platform: "discord",
		channels: channels,
		servers:  replicaServers,
		env:      discordEnv(fake),
		settled: func(ctx context.Context, bots []*botProcess) {
			if len(bots) > 1 {
				for _, p := range bots {
					p.waitLog(ctx, fmt.Sprintf("%s replicas=%d", logRateShared, len(bots)))
				}
			}
			whichOf(ctx, b, bots, logShardHeld)
			if err := fake.WaitReady(ctx, 1); err != nil {
				b.Fatal(err)
			}
		},
		posts: func() []fanOutPost {
			var out []fanOutPost
			for _, c := range fake.Calls("/channels/") {
				// /channels/{id}/messages
				parts := strings.Split(c.Path, "/")
				if c.Method != http.MethodPost || len(parts) != 4 || parts[3] != "messages" {
					continue
				}
				out = append(out, fanOutPost{channel: parts[2], ok: c.Status == http.StatusOK, at: c.At})
			}
			return out
		},
		counters: func() (int, int) {
			st := fake.Stats()
			return st.RateLimited, st.InvalidRequests
		},
		messages: func(channel string) []string {
			var keys []string
			for _, m := range fake.Messages(channel) {
				keys = append(keys, discordKey(b, m))
			}
			return keys
		},
		violations:  func() []string { return violationStrings(fake.TakeViolations()) },
		bound:       time.Duration(float64(n) / perSecond * float64(time.Second)),
		paceBound:   time.Duration(float64(n) / paced * float64(time.Second)),
		windowBound: time.Duration((n+rate.N-1)/rate.N-1) * rate.Per,
	}
}

// slackFanOut is the Slack fake with n channels in its one workspace, Slack's
// limits (the defaults), violations counted and not fatal.
func slackFanOut(b *testing.B, n, replicas int) *fanOutPlatform {
	channels, chans := slackChannels(n)
	fake := fakeslack.New(b, fakeslack.Options{Channels: chans, AllowViolations: true})
	ws := fake.Options().WorkspaceRate
	perSecond := float64(ws.N) / ws.Per.Seconds()
	// Each replica paces itself to posts_per_minute, shared with nobody.
	paced := float64(replicas*config.DefaultSlackPostsPerMinute) / 60
	return &fanOutPlatform{
		platform: "slack",
		channels: channels,
		servers:  1,
		env:      slackEnv(fake),
		settled: func(ctx context.Context, bots []*botProcess) {
			if err := fake.Wait(ctx, func() bool { return fake.Connected() >= len(bots) }); err != nil {
				b.Fatalf("Socket Mode: %d of %d replicas connected: %v", fake.Connected(), len(bots), err)
			}
		},
		posts: func() []fanOutPost {
			var out []fanOutPost
			for _, c := range fake.Calls("chat.postMessage") {
				out = append(out, fanOutPost{channel: c.Params.Get("channel"), ok: c.Status == http.StatusOK && c.Error == "", at: c.At})
			}
			return out
		},
		counters: func() (int, int) { return fake.Stats().RateLimited, 0 },
		messages: func(channel string) []string {
			var keys []string
			for _, m := range fake.Messages(channel) {
				keys = append(keys, slackKey(m))
			}
			return keys
		},
		violations: func() []string { return violationStrings(fake.TakeViolations()) },
		bound:      time.Duration(float64(max(n-ws.Burst, 0)) / perSecond * float64(time.Second)),
		paceBound:  time.Duration(float64(n-1) / paced * float64(time.Second)),
	}
}

// fanOutConfig writes a configuration following feedURL, with a subscription
// (no digest) for each of p's channels and extra at the top level, and returns
// its path. One line a subscription: in discordConfig's layout 10,000 of them
// pass the 1 MiB a configuration may hold.
func fanOutConfig(b *testing.B, dir, feedURL string, p *fanOutPlatform, extra string) string {
	var y strings.Builder
	fmt.Fprintf(&y, "feeds:\n  - name: postmortem\n    url: %s\nsubscriptions:\n", feedURL)
	for _, c := range p.channels {
		fmt.Fprintf(&y, "  - {platform: %s, channel: %q, digest: {enabled: false}}\n", p.platform, c)
	}
	y.WriteString(extra)
	path := filepath.Join(dir, "pmbot.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// slackKey returns the delivery key of a message's pmbot_delivery metadata, or
// "" when it has none.
func slackKey(m fakeslack.Message) string {
	if m.Metadata == nil || m.Metadata.EventType != "pmbot_delivery" {
		return ""
	}
	var p struct{ Key string }
	if json.Unmarshal(m.Metadata.EventPayload, &p) != nil {
		return ""
	}
	return p.Key
}

// violationStrings prints violations of either fake.
func violationStrings[V fmt.Stringer](vs []V) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// fanOutFeed serves the Post Mortem fixture over HTTP and, once published, the
// fixture with one new episode on top. The first fetch of the new episode is
// the start of the fan-out: the poll is under way.
type fanOutFeed struct {
	srv *httptest.Server

	mu        sync.Mutex
	old, new  []byte
	published bool
	fetched   time.Time
	changed   chan struct{} // closed at the first fetch of the new episode
}

func newFanOutFeed(b *testing.B) *fanOutFeed {
	old, err := os.ReadFile("../../testdata/postmortem/feed.xml")
	if err != nil {
		b.Fatal(err)
	}
	f := &fanOutFeed{old: old, changed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body := f.old
		if f.published {
			body = f.new
			if f.fetched.IsZero() {
				f.fetched = time.Now()
				close(f.changed)
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(body)
	}))
	b.Cleanup(f.srv.Close)
	return f
}

func (f *fanOutFeed) url() string { return f.srv.URL + "/feed.xml" }

// publish puts a new episode, out now, on top of the feed. Out now, so that no
// age limit holds its announcement.
func (f *fanOutFeed) publish() {
	item := fmt.Sprintf(`<item>
      <title>#18 Replicas: one episode, every channel, once</title>
      <guid isPermaLink="false">pmbot-replicas-bench-ep18</guid>
      <link>https://postmortem.example.org/episodes/ep18</link>
      <pubDate>%s</pubDate>
      <enclosure url="https://media.postmortem.example.org/ep18.mp3" length="60480000" type="audio/mpeg"/>
      <itunes:episode>18</itunes:episode>
      <itunes:duration>3600</itunes:duration>
      <description><![CDATA[<p>Several replicas of one bot share the announcements of a new episode.</p>]]></description>
    </item>
    `, time.Now().UTC().Format(time.RFC1123Z))
	f.mu.Lock()
	defer f.mu.Unlock()
	i := bytes.Index(f.old, []byte("<item>"))
	f.new = slices.Concat(f.old[:i], []byte(item), f.old[i:])
	f.published = true
}

// waitFetched waits for the first fetch of the new episode and returns its time.
func (f *fanOutFeed) waitFetched(ctx context.Context, b *testing.B) time.Time {
	select {
	case <-f.changed:
	case <-ctx.Done():
		b.Fatalf("the feed was not polled after the new episode came out: %v", ctx.Err())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetched
}

// fanOutResult is what one run measured.
type fanOutResult struct {
	p                      *fanOutPlatform
	took                   time.Duration
	lost, doubled, reposts int
	limited, invalid       int
	violations             []string
	// delivered and first are by replica, the poller lease's holder first.
	delivered []int
	first     []time.Duration
}

// settleTime is how long after the replicas start the feed falls due: the
// time to start them all and for each to count the others (every 2 s) with
// some room. Should they take longer, the poll at that time finds nothing new
// and the next comes a poll interval (1 minute) later: the run is slower to
// start, not wrong.
func settleTime(channels, replicas int) time.Duration {
	return 15*time.Second + time.Duration(replicas)*time.Duration(channels)*time.Millisecond
}

// replicasFanOut runs the replicas on p and returns what it measured; it fails
// b when a channel does not hold the announcement exactly once.
func replicasFanOut(b *testing.B, p *fanOutPlatform, replicas int) fanOutResult {
	n := len(p.channels)
	// A safety net, not a measure: ten times the bound, and room for the start.
	ctx, cancel := context.WithTimeout(context.Background(), 10*p.bound+5*time.Minute)
	defer cancel()
	dsn := storetest.PostgresURL(b)
	admin := storetest.Admin(b, dsn)
	feed := newFanOutFeed(b)
	dir := b.TempDir()
	// Debug logs say "delivered" for each post, by which replica.
	cfg := fanOutConfig(b, dir, feed.url(), p, "backfill: 0\npoll_interval: 1m\nlog:\n  level: debug\n")

	// The quiet start: the feed's first poll records its episodes and
	// announces none.
	poll := exec.CommandContext(ctx, binary, "--config", cfg, "--db", dsn, "poll", "--once")
	poll.Env = append(os.Environ(), p.env...)
	if out, err := poll.CombinedOutput(); err != nil {
		b.Fatalf("poll --once: %v\n%s", err, out)
	}
	count := func(where string) int {
		var k int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM deliveries `+where).Scan(&k); err != nil {
			b.Fatal(err)
		}
		return k
	}
	if k := count(""); k != 0 {
		b.Fatalf("the first poll made %d deliveries, want none (backfill 0)", k)
	}
	// `run` polls at start only what is due, then sleeps until the next due
	// feed: no replica can be told to poll now.
	due := time.Now().Add(settleTime(n, replicas))
	if _, err := admin.ExecContext(ctx, `UPDATE feeds SET next_poll_at = $1`, due.Unix()); err != nil {
		b.Fatal(err)
	}

	bots := make([]*botProcess, replicas)
	for i := range bots {
		bots[i] = startBot(b, p.env, "--config", cfg, "--db", dsn, "run")
	}
	stopped := false
	defer func() {
		if !stopped && b.Failed() {
			for i, p := range bots {
				b.Logf("replica %d:\n%s", i+1, tail(p.logs(), 40))
			}
		}
	}()
	holder := whichOf(ctx, b, bots, logLeaseHeld)
	for i, p := range bots {
		if i != holder {
			p.waitLog(ctx, logLeaseWaiting)
		}
	}
	p.settled(ctx, bots)
	b.Logf("%d replicas settled in %s; load average %s", replicas, time.Since(due.Add(-settleTime(n, replicas))).Round(time.Millisecond), loadAverage())
	if late := time.Since(due); late > 0 {
		b.Logf("the replicas settled %s after the feed fell due: the poll then found nothing new; the next comes a minute after it", late.Round(time.Millisecond))
	}
	limited0, invalid0 := p.counters()
	p.violations() // those of the start are not the fan-out's

	feed.publish()
	start := feed.waitFetched(ctx, b)
	// Until every delivery is sent (or given up): the outbox says so.
	for count(`WHERE status = 'pending'`) > 0 || count("") == 0 {
		select {
		case <-ctx.Done():
			b.Fatalf("%d of %d deliveries still pending: %v", count(`WHERE status = 'pending'`), n, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	// A repeated post would be one under way as its delivery was recorded:
	// give it a second to reach the fake before counting.
	time.Sleep(time.Second)

	r := fanOutResult{p: p}
	limited, invalid := p.counters()
	r.limited, r.invalid = limited-limited0, invalid-invalid0
	r.violations = p.violations()
	okPosts := map[string]int{}
	var last time.Time
	for _, post := range p.posts() {
		if post.ok && !post.at.Before(start) {
			okPosts[post.channel]++
			last = later(last, post.at)
		}
	}
	r.took = last.Sub(start)
	for _, k := range okPosts {
		r.reposts += k - 1
	}
	keys := map[string]string{}
	for _, c := range p.channels {
		ks := p.messages(c)
		switch {
		case len(ks) == 0:
			r.lost++
		case len(ks) > 1:
			r.doubled += len(ks) - 1
		}
		for _, k := range ks {
			if k == "" {
				b.Errorf("channel %s: a message without its delivery key", c)
			} else if other, ok := keys[k]; ok {
				b.Errorf("delivery %s posted in %s and in %s", k, other, c)
			}
			keys[k] = c
		}
	}

	b.Logf("fan-out done; load average %s", loadAverage())

	stopCtx, cancelStop := context.WithTimeout(context.Background(), time.Minute)
	defer cancelStop()
	order := append([]*botProcess{bots[holder]}, slices.Delete(slices.Clone(bots), holder, holder+1)...)
	for _, bot := range order {
		bot.stop(stopCtx)
		logs := bot.logs()
		r.delivered = append(r.delivered, strings.Count(logs, logDelivered))
		first := -time.Second // delivered nothing
		if t := firstLogged(logs, logDelivered); !t.IsZero() {
			first = t.Sub(start)
		}
		r.first = append(r.first, first)
	}
	stopped = true
	if sum := sumOf(r.delivered); sum != n {
		b.Logf("the replicas logged %d deliveries for %d channels", sum, n)
	}
	if dead := count(`WHERE status = 'dead'`); dead > 0 {
		b.Logf("%d deliveries given up", dead)
	}
	if r.lost > 0 || r.doubled > 0 {
		r.report(b)
		b.Fatalf("%d of %d channels without the announcement, %d messages doubled", r.lost, n, r.doubled)
	}
	return r
}

// report reports r's metrics, and logs its row of BENCHMARKS.md.
func (r fanOutResult) report(b *testing.B) {
	n := len(r.p.channels)
	b.ReportMetric(r.took.Seconds(), "s")
	b.ReportMetric(float64(n)/r.took.Seconds(), "deliveries/s")
	b.ReportMetric(r.p.bound.Seconds(), "bound-s")
	if r.p.bound > 0 { // Slack's burst takes up to 100 posts at once
		b.ReportMetric(r.took.Seconds()/r.p.bound.Seconds(), "x-bound")
	}
	b.ReportMetric(r.p.paceBound.Seconds(), "pace-bound-s")
	if r.p.windowBound > 0 {
		b.ReportMetric(r.p.windowBound.Seconds(), "window-bound-s")
	}
	b.ReportMetric(float64(r.limited), "429s")
	b.ReportMetric(float64(r.invalid), "invalid")
	b.ReportMetric(float64(len(r.violations)), "violations")
	b.ReportMetric(float64(r.lost), "lost")
	b.ReportMetric(float64(r.doubled), "doubled")
	b.ReportMetric(float64(r.reposts), "reposts")
	for i, k := range r.delivered {
		b.ReportMetric(float64(k), fmt.Sprintf("r%d-deliveries", i+1))
		b.ReportMetric(r.first[i].Seconds(), fmt.Sprintf("r%d-first-s", i+1))
	}
	b.ReportMetric(0, "ns/op")
	for i, v := range r.violations {
		if i == 5 {
			b.Logf("… and %d more violations", len(r.violations)-5)
			break
		}
		b.Logf("violation: %s", v)
	}
	shares := make([]string, len(r.delivered))
	for i, k := range r.delivered {
		shares[i] = fmt.Sprintf("%d (from %.1f s)", k, r.first[i].Seconds())
	}
	ratio := "—"
	if r.p.bound > 0 {
		ratio = fmt.Sprintf("%.2f", r.took.Seconds()/r.p.bound.Seconds())
	}
	// The row of BENCHMARKS.md's table, but for the platform and replicas.
	b.Logf("| %d | %d | %.1f | %.1f | %s | %d | %d | %d | %d | %d | %s |", n, r.p.servers, r.took.Seconds(), r.p.bound.Seconds(),
		ratio, r.limited, r.invalid, len(r.violations), r.lost, r.doubled, strings.Join(shares, " / "))
}

// whichOf waits until one of the replicas logs substr, and returns its index.
func whichOf(ctx context.Context, b *testing.B, bots []*botProcess, substr string) int {
	b.Helper()
	for {
		for i, p := range bots {
			if strings.Contains(p.logs(), substr) {
				return i
			}
		}
		select {
		case <-ctx.Done():
			b.Fatalf("no replica logged %q", substr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// firstLogged returns the time of the first log line holding substr (slog's
// text format: time=… first), or the zero time.
func firstLogged(logs, substr string) time.Time {
	i := strings.Index(logs, substr)
	if i < 0 {
		return time.Time{}
	}
	line := logs[strings.LastIndexByte(logs[:i], '\n')+1:]
	v, ok := strings.CutPrefix(line, "time=")
	if !ok {
		return time.Time{}
	}
	v, _, _ = strings.Cut(v, " ")
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes: the
// replicas, PostgreSQL and the fake share its cores with whatever else runs.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func sumOf(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
