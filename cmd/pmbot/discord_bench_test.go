package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/store"
)

// Benchmarks of pmbot on Discord, against fakediscord enforcing Discord's limits.
// They are not run in CI (they take from seconds to a minute):
//
//	go test ./cmd/pmbot -run '^$' -bench 'Discord' -benchtime 1x

// discordApp wires the bot exactly as `pmbot run` does (newApp: store, poller,
// dispatcher, router, search index, Discord adapter), on the database (a path, or
// store.Memory), with the Discord adapter pointed at the fake (and its HTTP
// interactions endpoint given the fake's public key). yaml is the configuration
// but for the Discord credentials and the database.
func discordApp(b *testing.B, fake *fakediscord.Server, database, yaml string, n needs) *app {
	b.Helper()
	env := append(discordEnv(fake), "PMBOT_DISCORD_PUBLIC_KEY="+fake.PublicKeyHex())
	cfg, err := config.Load(strings.NewReader(yaml), env)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Database = database
	log := newLogger(config.Config{Log: config.Log{Level: "error"}}, io.Discard)
	a, err := newApp(context.Background(), cfg, log, io.Discard, io.Discard, nil, n)
	if err != nil {
		b.Fatal(err)
	}
	if a.discord == nil {
		b.Fatal("the Discord adapter is not configured")
	}
	b.Cleanup(func() { a.Close() })
	return a
}

// dispatchAll does what `pmbot run`'s dispatch loop does (bot.Bot's) until the
// outbox holds nothing pending: post what is due, then wait for the earliest
// retry (a delivery answered 429 comes back when Discord said).
func dispatchAll(ctx context.Context, b *testing.B, a *app) {
	b.Helper()
	for {
		if _, err := a.dispatcher.DispatchDue(ctx); err != nil {
			b.Fatal(err)
		}
		at, ok, err := a.db.NextDue(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			return
		}
		t := time.NewTimer(time.Until(at))
		select {
		case <-ctx.Done():
			t.Stop()
			b.Fatalf("deliveries still pending: %v", ctx.Err())
		case <-t.C:
		}
	}
}

// BenchmarkDiscordFanOut announces one episode in 1,000 text channels of one
// server through the dispatcher and the Discord adapter, wired as `pmbot run`
// wires them, against the fake enforcing Discord's limits (5 messages per 5 s per
// channel, 50 requests a second in all), and reports:
//
//	s             seconds from the start of the dispatch to the last delivery recorded
//	bound-s       the lower bound Discord's global limit sets: the REST calls the
//	              fake counted against it during the fan-out (answered other than
//	              429), at 50 a second
//	window-bound-s the same counted in the fake's fixed windows of one second: the
//	              last window of 50 opens ⌈calls/50⌉−1 s after the first (19 s for
//	              1,000 calls), which the fan-out cannot beat
//	plain-bound-s 1,000 messages at 50 a second: 20 s
//	x-bound       s / bound-s (below 1 is possible: see window-bound-s)
//	lost          channels left without the announcement
//	doubled       messages beyond one per channel (by delivery key)
//	429s          answers 429 the fake served during the fan-out
//	violations    contract violations (calls before a retry_after elapsed…);
//	              logged, and not failing the benchmark so that the figures show
//
//	go test ./cmd/pmbot -run '^$' -bench DiscordFanOut -benchtime 1x   # ~25 s
func BenchmarkDiscordFanOut(b *testing.B) {
	const nChannels = 1000
	feed, err := filepath.Abs("../../testdata/postmortem/feed.xml")
	if err != nil {
		b.Fatal(err)
	}
	channels, chans := discordChannels(nChannels)
	var y strings.Builder
	fmt.Fprintf(&y, "feeds:\n  - name: postmortem\n    url: %s\nsubscriptions:\n", feed)
	for _, c := range channels {
		fmt.Fprintf(&y, "  - platform: discord\n    channel: %q\n    digest:\n      enabled: false\n", c)
	}
	y.WriteString("backfill: 1\n")
	for b.Loop() {
		// Discord's limits (the defaults); violations are counted, not fatal.
		fake := fakediscord.New(b, fakediscord.Options{Channels: chans, AllowViolations: true})
		a := discordApp(b, fake, store.Memory, y.String(), needs{dispatch: true})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		if _, _, err := a.poller.PollDue(ctx, true); err != nil {
			b.Fatal(err)
		}
		before := len(fake.Calls(""))
		start := time.Now()
		dispatchAll(ctx, b, a)
		took := time.Since(start)
		cancel()

		// Every message carries its delivery key: a key seen twice, or a message
		// without one, is a message too many.
		lost, total, keys := 0, 0, map[string]bool{}
		for _, c := range channels {
			ms := fake.Messages(c)
			if len(ms) == 0 {
				lost++
			}
			total += len(ms)
			for _, m := range ms {
				if k := discordKey(b, m); k != "" {
					keys[k] = true
				}
			}
		}
		doubled := total - len(keys)
		counted, limited := 0, 0
		for _, c := range fake.Calls("")[before:] {
			switch {
			case c.Status == http.StatusTooManyRequests:
				limited++
			case !strings.HasPrefix(c.Path, "/interactions/") && !strings.HasPrefix(c.Path, "/webhooks/"):
				counted++
			}
		}
		violations := fake.TakeViolations()
		for i, v := range violations {
			if i == 5 {
				b.Logf("… and %d more violations", len(violations)-5)
				break
			}
			b.Logf("violation: %s", v)
		}
		rate := fake.Options().GlobalRate
		perSecond := float64(rate.N) / rate.Per.Seconds()
		bound := float64(counted) / perSecond
		windows := (counted + rate.N - 1) / rate.N
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(bound, "bound-s")
		b.ReportMetric(float64(windows-1)*rate.Per.Seconds(), "window-bound-s")
		b.ReportMetric(float64(nChannels)/perSecond, "plain-bound-s")
		b.ReportMetric(took.Seconds()/bound, "x-bound")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(doubled), "doubled")
		b.ReportMetric(float64(limited), "429s")
		b.ReportMetric(float64(len(violations)), "violations")
		b.ReportMetric(0, "ns/op")
		if lost > 0 || doubled > 0 {
			b.Errorf("%d channels without the announcement, %d messages doubled", lost, doubled)
		}
	}
}

// autocompleteQueries are what users type in /postmortem episode's option, by
// kind: nothing yet (the latest episodes), a number's first digits (every
// episode is read to match them), words of titles and notes, a word's prefix, a
// typo.
var autocompleteQueries = []struct{ kind, typed string }{
	{"empty", ""},
	{"number", "1"},
	{"number", "42"},
	{"number", "7301"},
	{"words", "bombcast"},
	{"words", "jeff gerstmann"},
	{"words", "e3 press conference"},
	{"prefix", "giant"},
	{"prefix", "zel"},
	{"typo", "bomcast"},
}

// BenchmarkDiscordAutocomplete answers /postmortem episode autocompletes over a
// 10,000-episode catalogue (storeWith10k: the 730-item feed's episodes copied to
// 10,000, as BenchmarkStartup10k), with the Discord adapter wired as `pmbot run`
// wires it (router, store, the real search index). Latency is what the fake
// measured, from sending the interaction to receiving the type-8 callback:
// over the gateway (INTERACTION_CREATE, then POST …/callback), and through the
// HTTP interactions endpoint (a signed POST answered with the callback). Each
// iteration sends every query of autocompleteQueries 20 times, one at a time;
// p50, p99 and max are over all of them, and p99 by kind.
//
//	go test ./cmd/pmbot -run '^$' -bench DiscordAutocomplete -benchtime 3x
func BenchmarkDiscordAutocomplete(b *testing.B) {
	dbPath, feedPath := storeWith10k(b)
	for _, via := range []string{"gateway", "http"} {
		b.Run(via, func(b *testing.B) {
			channels, chans := discordChannels(1)
			fake := fakediscord.New(b, fakediscord.Options{Channels: chans})
			a := discordApp(b, fake, dbPath, fmt.Sprintf("feeds:\n  - name: gb\n    url: %s\n", feedPath), needs{search: true})
			ctx, cancel := context.WithCancel(context.Background())
			send := func(in fakediscord.Interaction) (*fakediscord.Response, error) {
				rec, err := fake.SendInteraction(ctx, in)
				return rec.Response, err
			}
			if via == "gateway" {
				done := make(chan error, 1)
				go func() { done <- a.discord.RunGateway(ctx) }()
				b.Cleanup(func() {
					cancel()
					<-done
					a.discord.Wait()
				})
				if err := fake.WaitReady(ctx, 1); err != nil {
					b.Fatal(err)
				}
			} else {
				srv := httptest.NewServer(a.discord.Handler(ctx))
				b.Cleanup(func() {
					cancel()
					srv.Close()
					a.discord.Wait()
				})
				send = func(in fakediscord.Interaction) (*fakediscord.Response, error) {
					res, err := fake.PostInteraction(ctx, srv.URL+"/discord/interactions", in)
					if err != nil {
						return nil, err
					}
					if res.Status != http.StatusOK {
						return nil, fmt.Errorf("HTTP %d: %s", res.Status, res.Body)
					}
					return res.Record.Response, nil
				}
			}
			ask := func(typed string) (time.Duration, int) {
				r, err := send(fakediscord.Interaction{
					Type: fakediscord.InteractionAutocomplete, ChannelID: channels[0], Name: "postmortem",
					Options: subcommand("episode", "episode", typed, true),
				})
				if err != nil {
					b.Fatalf("autocomplete %q: %v", typed, err)
				}
				if r == nil || r.Type != fakediscord.CallbackAutocompleteResult || r.Late {
					b.Fatalf("autocomplete %q: answered %+v; want type 8 in time", typed, r)
				}
				return r.Latency, len(r.Choices)
			}
			ask("bomb") // warm up: the index sorts its dictionary at the first search
			var mu sync.Mutex
			var all []time.Duration
			byKind := map[string][]time.Duration{}
			empty := map[string]bool{}
			for b.Loop() {
				for range 20 {
					for _, q := range autocompleteQueries {
						lat, n := ask(q.typed)
						mu.Lock()
						all = append(all, lat)
						byKind[q.kind] = append(byKind[q.kind], lat)
						if n == 0 {
							empty[q.typed] = true
						}
						mu.Unlock()
					}
				}
			}
			if len(empty) > 0 {
				b.Logf("no choice offered for %v", slices.Sorted(maps.Keys(empty)))
			}
			slices.Sort(all)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(percentile(all, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
			b.ReportMetric(ms(all[len(all)-1]), "max-ms")
			for _, kind := range []string{"empty", "number", "words", "prefix", "typo"} {
				l := byKind[kind]
				slices.Sort(l)
				b.ReportMetric(ms(percentile(l, 0.99)), "p99-"+kind+"-ms")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
