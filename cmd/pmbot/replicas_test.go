package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
	"github.com/pmbot/pmbot/store/storetest"
)

// What a replica logs when it holds the Discord shard, and when another does.
const (
	logShardHeld    = "holding a Discord shard"
	logShardWaiting = "another replica holds this Discord shard"
	logRateShared   = "msg=\"replicas share the platforms' rate limits\""
)

// TestDiscordReplicasPostgres: two `pmbot run` (the real binary) on one
// PostgreSQL schema with the same Discord bot. One connects the gateway's only
// shard; the other does not (two connections on a shard would both receive,
// and answer, every interaction), however long it runs. A command is answered
// once. SIGKILLing the holder hands the shard to the other, which connects and
// answers.
func TestDiscordReplicasPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx := discordContext(t)
	channels, chans := discordChannels(1)
	fake := fakediscord.New(t, fakediscord.Options{Channels: chans, InteractionDeadline: time.Minute})
	cfg := discordConfig(t, t.TempDir(), []string{postMortemFeed(t)}, channels, nil, "")
	bots := startReplicas(t, discordEnv(fake), cfg, dsn)
	// Which replica holds what is a race: the shard and the poller lease may
	// be held by different ones.
	holder, other := whichLogged(ctx, t, bots, logShardHeld)
	other.waitLog(ctx, logShardWaiting)
	if err := fake.WaitReady(ctx, 1); err != nil {
		t.Fatal(err)
	}
	whichLogged(ctx, t, bots, "first poll") // the answers are about the feed
	// Each posts at half the bot's global rate: Discord counts both together.
	for _, b := range bots {
		b.waitLog(ctx, logRateShared+" replicas=2")
	}
	// The other replica tries to take the shard every 3 s: give it two tries.
	if err := other.waitLogCountOrTimeout(ctx, "connected to the Discord gateway", 1, 7*time.Second); err == nil {
		t.Fatal("the replica without the shard's lease connected the gateway")
	}
	if diff := cmp.Diff(map[[2]int]int{{0, 1}: 1}, fake.ReadyShards()); diff != "" {
		t.Errorf("gateway sessions per shard (-want +got):\n%s", diff)
	}
	ask := func() {
		t.Helper()
		rec, err := fake.SendInteraction(ctx, fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem",
			Options: subcommand("latest", "", nil, false)})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Response == nil || rec.Response.Message == nil || !strings.Contains(discordText(*rec.Response.Message), "BGP") {
			t.Fatalf("answer %s, want the latest episode", discordText(*rec.Response.Message))
		}
	}
	ask()

	holder.kill()
	other.waitLog(ctx, logShardHeld)
	other.waitLog(ctx, "connected to the Discord gateway")
	// The dead replica's session is gone with its connection.
	if err := fake.Wait(ctx, func() bool { return cmp.Equal(fake.ReadyShards(), map[[2]int]int{{0, 1}: 1}) }); err != nil {
		t.Fatalf("gateway sessions per shard: %v", fake.ReadyShards())
	}
	ask()
	other.waitLog(ctx, logRateShared+" replicas=1")
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("contract violations: %v", v)
	}
}

// waitLogCountOrTimeout waits until the log holds substr n times, or for d: it
// returns an error when d passed first. It is for what must not happen: a
// second replica connecting while it has not got the lease.
func (p *botProcess) waitLogCountOrTimeout(ctx context.Context, substr string, n int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for strings.Count(p.logs(), substr) < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// whichLogged waits until one of two replicas logs substr, and returns it and
// the other.
func whichLogged(ctx context.Context, t *testing.T, bots [2]*botProcess, substr string) (logged, other *botProcess) {
	t.Helper()
	for {
		for i, b := range bots {
			if strings.Contains(b.logs(), substr) {
				return b, bots[1-i]
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no replica logged %q", substr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestSlackReplicasPostgres: two `pmbot run` on one PostgreSQL schema with the
// same Slack app each open a Socket Mode connection; Slack spreads the
// commands over both, and every command is answered once, in time, whichever
// replica gets it. Killing one leaves the other answering everything.
func TestSlackReplicasPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx := slackContext(t)
	channels, chans := slackChannels(1)
	fake := fakeslack.New(t, fakeslack.Options{Channels: chans})
	cfg := slackConfig(t, t.TempDir(), []string{postMortemFeed(t)}, channels, "")
	bots := startReplicas(t, slackEnv(fake), cfg, dsn)
	whichLogged(ctx, t, bots, "first poll")
	for _, b := range bots {
		b.waitLog(ctx, "Socket Mode connected")
	}
	if err := fake.Wait(ctx, func() bool { return fake.Connected() == 2 }); err != nil {
		t.Fatalf("Socket Mode connections: %d, want 2", fake.Connected())
	}
	ask := func(n int) map[int64]int {
		t.Helper()
		by := make(map[int64]int) // commands answered per connection
		for range n {
			ack, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/postmortem", Text: "latest", ChannelID: channels[0]})
			if err != nil {
				t.Fatal(err)
			}
			if ack.Late || ack.Dropped || len(ack.Problems) > 0 {
				t.Errorf("acknowledged after %s (late %v, dropped %v, problems %v)", ack.Elapsed, ack.Late, ack.Dropped, ack.Problems)
			}
			reply := string(ack.Payload)
			if reply == "" {
				rs, err := fake.WaitResponses(ctx, ack.InvocationID, 1)
				if err != nil {
					t.Fatalf("no reply: %v", err)
				}
				reply = string(rs[0].Body)
			}
			if !strings.Contains(reply, "Incident BGP chez Facebook") {
				t.Errorf("reply does not name the latest episode:\n%.300s", reply)
			}
			by[ack.Connection]++
		}
		return by
	}
	if by := ask(6); len(by) != 2 {
		t.Errorf("commands per connection %v; want both replicas answering", by)
	}
	eph := len(fake.Ephemerals(channels[0]))
	if eph != 6 {
		t.Errorf("%d private answers shown, want 6 (one per command)", eph)
	}

	bots[0].kill()
	if err := fake.Wait(ctx, func() bool { return fake.Connected() == 1 }); err != nil {
		t.Fatalf("Socket Mode connections after the kill: %d, want 1", fake.Connected())
	}
	if by := ask(3); len(by) != 1 {
		t.Errorf("commands per connection %v after the kill; want the one replica left", by)
	}
	// A replica that joins a running one waits for it to count the newcomer
	// (and halve its share of the rate limits) before it posts or answers.
	bots[1].waitLog(ctx, "replicas=1") // it counted the killed one out
	counted := strings.Count(bots[1].logs(), "replicas=2")
	joined := startBot(t, slackEnv(fake), "--config", cfg, "--db", dsn, "run")
	joined.waitLog(ctx, logJoinWait)
	bots[1].waitLogCount(ctx, "replicas=2", counted+1)
	joined.waitLog(ctx, "Socket Mode connected")
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("contract violations: %v", v)
	}
}

// postMortemFeed is the path of the Post Mortem fixture feed.
func postMortemFeed(t *testing.T) string {
	t.Helper()
	feed, err := filepath.Abs("../../testdata/postmortem/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	return feed
}

// startReplicas starts two `pmbot run` with the configuration on the database,
// and logs what each logged when the test fails.
func startReplicas(t *testing.T, env []string, cfg, dsn string) [2]*botProcess {
	t.Helper()
	var bots [2]*botProcess
	for i := range bots {
		bots[i] = startBot(t, env, "--config", cfg, "--db", dsn, "run")
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica 0:\n%s\nreplica 1:\n%s", bots[0].logs(), bots[1].logs())
		}
	})
	return bots
}
