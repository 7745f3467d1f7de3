package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// End-to-end tests of `pmbot run` and `pmbot poll --once` on Discord: the real
// binary (built once by TestMain) against fakediscord, which runs in the test
// process on 127.0.0.1 and enforces the platform contract (PART B of
// platform-contract.md: message limits, the per-channel and global rate limits and
// their retry_after, the 3 s interaction deadline, command registration, the
// gateway handshake). A contract violation fails the test that caused it (the
// fake's cleanup reports it). Nothing here waits on the clock: every wait is for a
// line the bot logs or for a state of the fake, bounded by discordSafety, a safety
// net rather than a measure. The generic helpers (startBot, botProcess, testFeed,
// pmbotEnv) are those of the Slack and CLI tests.
//
// These tests run with -short too, TestDiscordKillDuringFanOut with 5 trials
// instead of 20.

// discordSafety bounds every wait of these tests.
const discordSafety = 2 * time.Minute

func discordContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), discordSafety)
	t.Cleanup(cancel)
	return ctx
}

// discordGuild is the server every channel of these tests is in.
const discordGuild = "400000000000000004"

// discordChannels returns n text channel ids and the fake's channels.
func discordChannels(n int) ([]string, []fakediscord.Channel) {
	ids := make([]string, n)
	chans := make([]fakediscord.Channel, n)
	for i := range n {
		ids[i] = fmt.Sprintf("3100000000%08d", i+1)
		chans[i] = fakediscord.Channel{ID: ids[i], GuildID: discordGuild, Name: fmt.Sprintf("podcasts-%d", i+1)}
	}
	return ids, chans
}

// discordConfig writes a configuration following the feed files (named e2e, e2e-2,
// …), with a Discord subscription (no digest) for each channel, thread: true for
// those in threads, and returns its path. extra is appended at the top level.
func discordConfig(t testing.TB, dir string, feedPaths []string, channels []string, threads map[string]bool, extra string) string {
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
		fmt.Fprintf(&b, "  - platform: discord\n    channel: %q\n    thread: %v\n    digest:\n      enabled: false\n", c, threads[c])
	}
	b.WriteString(extra)
	path := filepath.Join(dir, "pmbot.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// discordEnv is the environment that points the binary at the fake: its bot token,
// application id and REST API (the gateway follows the URL GET /gateway returns).
func discordEnv(s *fakediscord.Server) []string {
	return discordEnvAt(s, s.APIURL())
}

// discordEnvAt is discordEnv with the REST API at apiURL (a proxy in front of the
// fake).
func discordEnvAt(s *fakediscord.Server, apiURL string) []string {
	return []string{
		"PMBOT_DIRECTORY_URL=http://127.0.0.1:1",
		"PMBOT_DISCORD_BOT_TOKEN=" + s.BotToken(),
		"PMBOT_DISCORD_APPLICATION_ID=" + s.AppID(),
		"PMBOT_DISCORD_API_URL=" + apiURL,
	}
}

// keyedCustomID is a button's custom_id that carries a delivery's key, as the
// adapter writes it: "pmbot:cmd@pmbot-d42:/postmortem takeaways 4". Discord's
// history returns components but not nonces: this is how a post is found again.
var keyedCustomID = regexp.MustCompile(`^pmbot:[a-z]+@(pmbot-d[0-9]+):.`)

// discordKey returns the delivery key a message's buttons carry, or "" when none
// does; it fails t when two buttons carry different keys.
func discordKey(t testing.TB, m fakediscord.Message) string {
	t.Helper()
	key := ""
	var walk func([]fakediscord.Component)
	walk = func(cs []fakediscord.Component) {
		for _, c := range cs {
			if sm := keyedCustomID.FindStringSubmatch(c.CustomID); sm != nil {
				if key != "" && key != sm[1] {
					t.Errorf("message %s carries two keys, %s and %s", m.ID, key, sm[1])
				}
				key = sm[1]
			}
			walk(c.Components)
		}
	}
	walk(m.Components)
	return key
}

// discordTotal is how many messages the channels hold.
func discordTotal(s *fakediscord.Server, channels []string) int {
	n := 0
	for _, c := range channels {
		n += len(s.Messages(c))
	}
	return n
}

// waitDiscordTotal waits until the channels hold at least n messages in all.
func waitDiscordTotal(ctx context.Context, t testing.TB, s *fakediscord.Server, channels []string, n int) {
	t.Helper()
	if err := s.Wait(ctx, func() bool { return discordTotal(s, channels) >= n }); err != nil {
		t.Fatalf("waiting for %d messages: %v; got %d", n, err, discordTotal(s, channels))
	}
}

// waitDiscordEveryChannel waits until each channel holds at least n messages.
func waitDiscordEveryChannel(ctx context.Context, t testing.TB, s *fakediscord.Server, channels []string, n int) {
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

// checkDiscordOnce checks that every channel holds exactly perChannel messages,
// each made with Create Message and carrying its delivery key twice, as a button's
// custom_id and as its nonce (enforce_nonce), no key twice in the server. It
// returns where each key was posted.
func checkDiscordOnce(t testing.TB, s *fakediscord.Server, channels []string, perChannel int) map[string]posted {
	t.Helper()
	byKey := map[string]posted{}
	for _, c := range channels {
		ms := s.Messages(c)
		if len(ms) != perChannel {
			t.Errorf("channel %s holds %d messages, want %d", c, len(ms), perChannel)
		}
		for _, m := range ms {
			key := discordKey(t, m)
			switch {
			case m.Kind != "message":
				t.Errorf("channel %s: message %s is a %s, want a message of the bot's own", c, m.ID, m.Kind)
			case key == "":
				t.Errorf("channel %s: message %s has no button carrying its delivery key: %+v", c, m.ID, m.Components)
			case m.Nonce != key:
				t.Errorf("channel %s: message %s has nonce %q, want its key %s", c, m.ID, m.Nonce, key)
			case byKey[key].id != "":
				t.Errorf("delivery %s posted twice: %s in %s and %s in %s", key, byKey[key].id, byKey[key].channel, m.ID, c)
			default:
				byKey[key] = posted{channel: c, id: m.ID}
			}
		}
	}
	return byKey
}

// discordOutboxAfterKill reads the database a killed bot left: how many deliveries
// it recorded as sent, and how many messages in the channels carry the key of a
// delivery it did not record (posts it made, then died before recording).
func discordOutboxAfterKill(t testing.TB, s *fakediscord.Server, channels []string, dbPath string) (sent, unrecorded int) {
	t.Helper()
	recorded := recordedKeys(t, dbPath)
	for _, c := range channels {
		for _, m := range s.Messages(c) {
			if key := discordKey(t, m); key != "" && !recorded[key] {
				unrecorded++
			}
		}
	}
	return len(recorded), unrecorded
}

// TestDiscordNewEpisodeOneMessagePerChannel: the first poll (by `run`, connected to
// the gateway) records the feed and posts nothing; a new episode in the feed then
// gives exactly one message in each of three text channels, carrying its delivery
// key in a button's custom_id and as its nonce, one post in a forum channel (named
// after the episode, tagged with the forum's tag named like the podcast), and in a
// text channel subscribed with thread: true one message with a discussion thread
// under it; the outbox records each delivery as sent with its message's id; a poll
// after that posts nothing more. As in the Slack test, the second poll is `poll
// --once` on the same database.
func TestDiscordNewEpisodeOneMessagePerChannel(t *testing.T) {
	t.Parallel()
	ctx := discordContext(t)
	text, chans := discordChannels(4)
	threaded := text[3]
	const forum, tag = "320000000000000001", "330000000000000001"
	chans = append(chans, fakediscord.Channel{
		ID: forum, GuildID: discordGuild, Name: "episodes", Type: fakediscord.ChannelTypeForum,
		AvailableTags: []fakediscord.Tag{{ID: "330000000000000002", Name: "Other show"}, {ID: tag, Name: "e2e  show"}},
	})
	fake := fakediscord.New(t, fakediscord.Options{Channels: chans}) // Discord's limits, violations fail the test
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	all := append(slices.Clone(text), forum)
	cfg := discordConfig(t, dir, []string{feed}, all, map[string]bool{threaded: true}, "backfill: 0\n")
	db := filepath.Join(dir, "state.db")
	env := discordEnv(fake)

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	bot.waitLog(ctx, "first poll")
	if err := fake.WaitReady(ctx, 1); err != nil {
		t.Fatalf("gateway: %v\n%s", err, bot.logs())
	}
	bot.stop(ctx)
	for _, c := range fake.Calls("/channels/") {
		if c.Method == http.MethodPost {
			t.Fatalf("the first poll posted (%s %s); want nothing (backfill 0)", c.Method, c.Path)
		}
	}

	testFeed(t, dir, 4, nil) // episode 4 is out
	stdout, stderr, code := pmbotEnv(t, env, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 {
		t.Fatalf("poll --once: code %d stderr %q", code, stderr)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var pl pollLine
		if err := json.Unmarshal([]byte(l), &pl); err != nil {
			t.Fatalf("poll --once --json line %q: %v", l, err)
		}
		if pl.Platform != "discord" || pl.Kind != "episode" || pl.GUID != "e2e-4" || pl.Episodes != 1 {
			t.Errorf("poll --once reported %+v; want the announcement of e2e-4 on discord", pl)
		}
		got = append(got, pl.Channel)
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(all)); !slices.Equal(got, want) {
		t.Errorf("poll --once delivered to %v, want %v", got, want)
	}

	// Text channels: one message each, keyed.
	byKey := checkDiscordOnce(t, fake, text, 1)
	for key, p := range byKey {
		m := fake.Messages(p.channel)[0]
		if !strings.Contains(discordText(m), "Episode number 4") {
			t.Errorf("message %s (%s) in %s does not announce episode 4: %s", m.ID, key, p.channel, discordText(m))
		}
	}
	// The thread channel's announcement has a thread; the others have none.
	for _, c := range text {
		ths := fake.Threads(c)
		if c != threaded {
			if len(ths) != 0 {
				t.Errorf("channel %s (no thread: true) got %d threads", c, len(ths))
			}
			continue
		}
		msg := fake.Messages(c)
		if len(ths) != 1 || len(msg) != 1 || ths[0].MessageID != msg[0].ID {
			t.Errorf("channel %s (thread: true): threads %+v for messages %d; want one thread under the announcement", c, ths, len(msg))
		} else if !strings.Contains(ths[0].Name, "Episode number 4") {
			t.Errorf("the thread under the announcement is named %q; want the episode's title", ths[0].Name)
		}
	}
	// The forum: one post, named after the episode, tagged, its first message keyed.
	posts := fake.Threads(forum)
	if len(posts) != 1 {
		t.Fatalf("the forum holds %d posts, want 1: %+v", len(posts), posts)
	}
	post := posts[0]
	first := fake.Messages(post.ID)
	if len(first) != 1 {
		t.Fatalf("the forum post holds %d messages, want 1", len(first))
	}
	key := discordKey(t, first[0])
	switch {
	case key == "":
		t.Errorf("the forum post's message has no button carrying its delivery key: %+v", first[0].Components)
	case byKey[key].id != "":
		t.Errorf("delivery %s posted twice: in %s and in the forum", key, byKey[key].channel)
	default:
		byKey[key] = posted{channel: forum, id: post.ID}
	}
	if !strings.Contains(post.Name, "Episode number 4") || !strings.Contains(discordText(first[0]), "Episode number 4") {
		t.Errorf("forum post %q does not announce episode 4: %s", post.Name, discordText(first[0]))
	}
	if !slices.Equal(post.AppliedTags, []string{tag}) {
		t.Errorf("forum post tags %v; want the forum's tag named like the podcast (%s)", post.AppliedTags, tag)
	}
	checkOutbox(t, db, byKey)

	// Nothing new: nothing posted.
	before := len(fake.Calls(""))
	stdout, stderr, code = pmbotEnv(t, env, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("third poll: code %d stdout %q stderr %q; want nothing new", code, stdout, stderr)
	}
	if calls := fake.Calls(""); len(calls) != before {
		t.Errorf("third poll made %d calls to Discord (first: %s %s); want none", len(calls)-before, calls[before].Method, calls[before].Path)
	}
	checkDiscordOnce(t, fake, text, 1)
	if n := len(fake.Threads(forum)); n != 1 {
		t.Errorf("the forum holds %d posts after the third poll, want 1", n)
	}
}

// discordText is what a message shows as text: its content and its embeds' titles,
// descriptions and fields.
func discordText(m fakediscord.Message) string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return b.String()
}

// subcommand is a /postmortem invocation: a subcommand with one string option.
func subcommand(name, option string, value any, focused bool) []fakediscord.CommandOption {
	sub := fakediscord.CommandOption{Name: name, Type: 1}
	if option != "" {
		sub.Options = []fakediscord.CommandOption{{Name: option, Type: 3, Value: value, Focused: focused}}
	}
	return []fakediscord.CommandOption{sub}
}

// TestDiscordCommandsOverGateway: `pmbot run`, pointed at the fake by its
// PMBOT_DISCORD_* variables, registers its slash commands (the fake checks them
// against B4) and connects to the gateway; then a /postmortem command sent over the
// gateway is answered at once (type 4, ephemeral) with the right episode, within
// the 3 s deadline the fake enforces; a click on an announcement's button (its
// custom_id carrying a delivery key) is answered the same way; an autocomplete is
// answered with type 8 and the matching episodes. The same binary, given the
// application's public key, also serves /discord/interactions: it passes Discord's
// endpoint checks (PING, bad signatures answered 401) and answers a command and an
// autocomplete in the HTTP response.
func TestDiscordCommandsOverGateway(t *testing.T) {
	t.Parallel()
	ctx := discordContext(t)
	channels, chans := discordChannels(1)
	fake := fakediscord.New(t, fakediscord.Options{Channels: chans}) // InteractionDeadline: Discord's 3 s
	feed, err := filepath.Abs("../../testdata/postmortem/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := discordConfig(t, dir, []string{feed}, channels, nil, "listen: 127.0.0.1:0\n")
	env := append(discordEnv(fake), "PMBOT_DISCORD_PUBLIC_KEY="+fake.PublicKeyHex())
	bot := startBot(t, env, "--config", cfg, "--db", filepath.Join(dir, "state.db"), "run")
	// The answers are about the feed: wait until it was read, and connected.
	bot.waitLog(ctx, "first poll")
	if err := fake.WaitReady(ctx, 1); err != nil {
		t.Fatalf("gateway: %v\n%s", err, bot.logs())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log:\n%s", bot.logs())
		}
	})

	// The commands were registered (globally: no guild_ids), before the gateway
	// was opened.
	cmds := fake.Commands("")
	var names []string
	var episodeOpt *fakediscord.CommandSchema
	for _, c := range cmds {
		names = append(names, c.Name)
		for _, sub := range c.Options {
			if c.Name == "postmortem" && sub.Name == "episode" && len(sub.Options) == 1 {
				episodeOpt = &sub.Options[0]
			}
		}
	}
	if !slices.Contains(names, "postmortem") || !slices.Contains(names, "postmortem-channel") {
		t.Errorf("registered commands %v; want postmortem and postmortem-channel", names)
	}
	if episodeOpt == nil || !episodeOpt.Autocomplete {
		t.Errorf("/postmortem episode's option is %+v; want an autocompleted option", episodeOpt)
	}
	if len(fake.Commands(discordGuild)) != 0 {
		t.Errorf("commands registered in the guild too: %+v", fake.Commands(discordGuild))
	}

	for _, tc := range []struct {
		name string
		in   fakediscord.Interaction
		want string
	}{
		{"episode 17", fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem", Options: subcommand("episode", "episode", "17", false)}, "Incident BGP chez Facebook"},
		{"latest", fakediscord.Interaction{Type: fakediscord.InteractionCommand, Name: "postmortem", Options: subcommand("latest", "", nil, false)}, "Incident BGP chez Facebook"},
		{"keyed button", fakediscord.Interaction{Type: fakediscord.InteractionComponent, CustomID: "pmbot:cmd@pmbot-d1:/postmortem takeaways 17"}, "Key takeaways: #17 Incident BGP chez Facebook"},
	} {
		tc.in.ChannelID = channels[0]
		rec, err := fake.SendInteraction(ctx, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r := rec.Response
		switch {
		case r == nil:
			t.Errorf("%s: no answer", tc.name)
		case r.Late:
			t.Errorf("%s: answered after %s; Discord's deadline is %s", tc.name, r.Latency, fakediscord.InteractionDeadline)
		case r.Type != fakediscord.CallbackMessage || r.Message == nil:
			t.Errorf("%s: answered with callback type %d (%s); want 4, a message at once", tc.name, r.Type, r.Data)
		case r.Message.Flags&fakediscord.FlagEphemeral == 0:
			t.Errorf("%s: the answer is not ephemeral (flags %d)", tc.name, r.Message.Flags)
		case !strings.Contains(discordText(*r.Message), tc.want):
			t.Errorf("%s: answer does not mention %q:\n%s", tc.name, tc.want, discordText(*r.Message))
		default:
			t.Logf("%s: answered in %s", tc.name, r.Latency.Round(time.Millisecond))
		}
	}

	for _, tc := range []struct {
		typed, want string
	}{
		{"bgp", "Incident BGP chez Facebook"},
		{"17", "Incident BGP chez Facebook"},
	} {
		rec, err := fake.SendInteraction(ctx, fakediscord.Interaction{
			Type: fakediscord.InteractionAutocomplete, ChannelID: channels[0], Name: "postmortem",
			Options: subcommand("episode", "episode", tc.typed, true),
		})
		if err != nil {
			t.Fatalf("autocomplete %q: %v", tc.typed, err)
		}
		r := rec.Response
		if r == nil || r.Late || r.Type != fakediscord.CallbackAutocompleteResult {
			t.Errorf("autocomplete %q: answered %+v; want type 8 in time", tc.typed, r)
			continue
		}
		found := false
		for _, c := range r.Choices {
			found = found || strings.Contains(c.Name, tc.want)
		}
		if !found {
			t.Errorf("autocomplete %q: choices %+v do not offer %q", tc.typed, r.Choices, tc.want)
		}
		t.Logf("autocomplete %q: %d choices in %s", tc.typed, len(r.Choices), r.Latency.Round(time.Millisecond))
	}

	// The HTTP interactions endpoint.
	bot.waitLog(ctx, "serving HTTP")
	addr := regexp.MustCompile(`msg="serving HTTP" address=(\S+)`).FindStringSubmatch(bot.logs())
	if addr == nil {
		t.Fatalf("no address in the log:\n%s", bot.logs())
	}
	endpoint := "http://" + addr[1] + "/discord/interactions"
	if err := fake.CheckEndpoint(ctx, endpoint); err != nil {
		t.Errorf("endpoint checks: %v", err)
		fake.TakeViolations() // reported here
	}
	for _, in := range []fakediscord.Interaction{
		{Type: fakediscord.InteractionCommand, Name: "postmortem", Options: subcommand("episode", "episode", "17", false)},
		{Type: fakediscord.InteractionAutocomplete, Name: "postmortem", Options: subcommand("episode", "episode", "bgp", true)},
	} {
		in.ChannelID = channels[0]
		res, err := fake.PostInteraction(ctx, endpoint, in)
		if err != nil {
			t.Fatalf("HTTP interaction type %d: %v", in.Type, err)
		}
		r := res.Record.Response
		want := fakediscord.CallbackMessage
		if in.Type == fakediscord.InteractionAutocomplete {
			want = fakediscord.CallbackAutocompleteResult
		}
		switch {
		case res.Status != http.StatusOK || r == nil || !r.HTTP:
			t.Errorf("HTTP interaction type %d: answered %d %s; want 200 with the response", in.Type, res.Status, res.Body)
		case r.Late || r.Type != want:
			t.Errorf("HTTP interaction type %d: callback type %d (late %v); want %d in time", in.Type, r.Type, r.Late, want)
		case !strings.Contains(string(r.Data), "Incident BGP chez Facebook"):
			t.Errorf("HTTP interaction type %d: answer does not mention episode 17: %s", in.Type, r.Data)
		default:
			t.Logf("HTTP interaction type %d: answered in %s", in.Type, r.Latency.Round(time.Millisecond))
		}
	}

	if n := len(fake.Messages(channels[0])); n != 0 {
		t.Errorf("%d channel messages; a first poll with backfill 0 and private answers post none", n)
	}
	bot.stop(ctx)
}

// discordKillTrial runs a fan-out of one announcement per feed to every channel,
// SIGKILLs the bot once the channels hold kill messages, starts it again and checks
// that every channel got every announcement exactly once and that the outbox
// recorded each with its message. It returns how many posts the killed process
// made without recording them. With opts.NonceWindow tiny, enforce_nonce protects
// nothing and only the restarted bot's look-up in the channels' history does.
func discordKillTrial(t *testing.T, channels []string, chans []fakediscord.Channel, feeds, kill int, opts fakediscord.Options) int {
	t.Helper()
	ctx := discordContext(t)
	opts.Channels = chans
	fake := fakediscord.New(t, opts)
	dir, paths := t.TempDir(), []string(nil)
	for i := range feeds {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, testFeed(t, sub, 3+i, nil))
	}
	cfg := discordConfig(t, dir, paths, channels, nil, "backfill: 1\nflood_limit: 3\n")
	db := filepath.Join(dir, "state.db")
	env := discordEnv(fake)
	want := feeds * len(channels)

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	waitDiscordTotal(ctx, t, fake, channels, kill)
	bot.kill()
	killedLog := bot.logs()
	sent, lost := discordOutboxAfterKill(t, fake, channels, db)

	// Started again, the bot posts the rest. Once it logged that it recorded
	// every delivery left, nothing is in flight: it is killed again, which saves
	// the second discordgo's Session.Close sleeps.
	bot = startBot(t, env, "--config", cfg, "--db", db, "--log-level", "debug", "run")
	waitDiscordEveryChannel(ctx, t, fake, channels, feeds)
	bot.waitLogCount(ctx, logDelivered, want-sent)
	bot.kill()

	byKey := checkDiscordOnce(t, fake, channels, feeds)
	if len(byKey) != want {
		t.Errorf("%d distinct deliveries posted, want %d", len(byKey), want)
	}
	checkOutbox(t, db, byKey)
	if t.Failed() {
		t.Logf("log of the killed bot:\n%s\nlog of the restarted bot:\n%s", killedLog, bot.logs())
	}
	return lost
}

// TestDiscordKillDuringFanOut SIGKILLs `pmbot run` in the middle of a fan-out of
// two announcements (one from each of two feeds) to 50 channels, with Discord's
// rate limits (5 messages per 5 s per channel, 50 requests a second in all), at a
// different point in each of 20 trials (5 with -short): after the k-th message the
// fake received, k spread over the fan-out. Started again on the same database, the
// bot leaves every channel holding each announcement exactly once (by the delivery
// key of its custom_id), and the outbox records each delivery as sent with the id
// of its one message. In every other trial the fake's nonce window is 1 ns, as if
// the bot had been down longer than Discord's: only the restarted bot's look-up in
// the channels' history keeps a post it made before the kill from being made
// twice.
func TestDiscordKillDuringFanOut(t *testing.T) {
	t.Parallel()
	trials := 20
	if testing.Short() {
		trials = 5
	}
	const feeds = 2
	channels, chans := discordChannels(50)
	rng := rand.New(rand.NewPCG(7, 13))
	var lost atomic.Int64
	t.Run("trials", func(t *testing.T) {
		for i := range trials {
			// k spread evenly over the fan-out, jittered within its stretch.
			total := feeds * len(channels)
			kill := 1 + i*(total-1)/trials + rng.IntN(max(1, (total-1)/trials))
			var opts fakediscord.Options // Discord's limits
			window := "nonce-5m"
			if i%2 == 1 {
				opts.NonceWindow = time.Nanosecond
				window = "no-nonce"
			}
			t.Run(fmt.Sprintf("%d-kill-after-%d-%s", i, kill, window), func(t *testing.T) {
				t.Parallel()
				lost.Add(int64(discordKillTrial(t, channels, chans, feeds, kill, opts)))
			})
		}
	})
	t.Logf("%d trials: %d posts made by a killed process before it recorded them were found again, not reposted", trials, lost.Load())
}

// holdProxy stands between the bot and the fake's REST API. It forwards every
// request, except that the first Create Message in channel hold reaches the fake
// (the message is posted) and its answer is held: the bot cannot know that it
// posted. held is closed then; the answer is never given (the bot is killed while
// it waits) and the connection is cut once release is closed.
type holdProxy struct {
	srv     *httptest.Server
	channel string
	held    chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func newHoldProxy(t testing.TB, fake *fakediscord.Server, channel string) *holdProxy {
	t.Helper()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{channel: channel, held: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	post := regexp.MustCompile(`^/api/v[0-9]+/channels/` + channel + `/messages$`)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !post.MatchString(r.URL.Path) || !p.once.CompareAndSwap(false, true) {
			rp.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, fake.URL()+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("hold proxy: %v", err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		close(p.held)
		<-p.release
		// The answer is lost: cut the connection without one.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(func() {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
		p.srv.Close()
	})
	return p
}

// apiURL is the proxy's REST base, as discord.api_url takes it.
func (p *holdProxy) apiURL() string { return p.srv.URL + "/api/v9/" }

// TestDiscordKillBetweenPostAndRecord: the answer to one Create Message is held
// (the message is posted, the bot does not know it), and the bot is SIGKILLed
// while it waits: its database cannot record that delivery as sent. Discord's
// nonce window has passed (the fake's is 1 ns). Started again, the bot looks the
// delivery's key up in the channel's history and records the post it finds
// instead of posting a second one.
func TestDiscordKillBetweenPostAndRecord(t *testing.T) {
	t.Parallel()
	ctx := discordContext(t)
	channels, chans := discordChannels(5)
	drop := channels[2]
	fake := fakediscord.New(t, fakediscord.Options{Channels: chans, NonceWindow: time.Nanosecond})
	proxy := newHoldProxy(t, fake, drop)
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := discordConfig(t, dir, []string{feed}, channels, nil, "backfill: 1\n")
	db := filepath.Join(dir, "state.db")
	env := discordEnvAt(fake, proxy.apiURL())

	bot := startBot(t, env, "--config", cfg, "--db", db, "run")
	select {
	case <-proxy.held:
	case <-ctx.Done():
		t.Fatalf("the post to %s never came\n%s", drop, bot.logs())
	}
	bot.kill()
	close(proxy.release)
	killedLog := bot.logs()
	sent, lost := discordOutboxAfterKill(t, fake, channels, db)
	if lost != 1 || len(fake.Messages(drop)) != 1 {
		t.Fatalf("after the kill: %d posts unrecorded, %d messages in %s; want the held one", lost, len(fake.Messages(drop)), drop)
	}
	historyBefore := historyReads(fake, drop)

	bot = startBot(t, env, "--config", cfg, "--db", db, "--log-level", "debug", "run")
	waitDiscordEveryChannel(ctx, t, fake, channels, 1)
	bot.waitLogCount(ctx, logDelivered, len(channels)-sent)
	bot.stop(ctx)

	checkOutbox(t, db, checkDiscordOnce(t, fake, channels, 1))
	if historyReads(fake, drop) == historyBefore {
		t.Errorf("the restarted bot never read %s's history; calls: %+v", drop, fake.Calls("/channels/"+drop))
	}
	if t.Failed() {
		t.Logf("log of the killed bot:\n%s\nlog of the restarted bot:\n%s", killedLog, bot.logs())
	}
}

// historyReads counts the successful reads of a channel's history.
func historyReads(s *fakediscord.Server, channel string) int {
	n := 0
	for _, c := range s.Calls("/channels/" + channel + "/messages") {
		if c.Method == http.MethodGet && c.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// gatedFeeds serves feed files over HTTP, holding every request until open is
// called: a test uses it to let the bot connect to the gateway and register its
// commands before the fan-out begins.
type gatedFeeds struct {
	srv  *httptest.Server
	gate chan struct{}
	once atomic.Bool
}

func newGatedFeeds(t testing.TB, dir string) *gatedFeeds {
	t.Helper()
	g := &gatedFeeds{gate: make(chan struct{})}
	files := http.FileServer(http.Dir(dir))
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-g.gate:
		case <-r.Context().Done():
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		g.open()
		g.srv.Close()
	})
	return g
}

// url is the address of a feed file, by its path under the served folder.
func (g *gatedFeeds) url(path string) string { return g.srv.URL + "/" + filepath.ToSlash(path) }

func (g *gatedFeeds) open() {
	if g.once.CompareAndSwap(false, true) {
		close(g.gate)
	}
}

// TestDiscordRateLimitStorm: the fake allows the bot 5 REST requests a second in
// all (Discord allows 50, and the bot paces itself for 50), while the bot
// announces two episodes (one from each of two feeds) in 10 channels: the bot is
// answered 429 (global) again and again. Every channel ends up holding each
// announcement exactly once, the outbox agrees, and the bot never called again
// before a retry_after elapsed (the fake records that as a contract violation,
// which fails the test). The feeds are held until the bot has registered its
// commands and connected to the gateway, so that the fan-out is the bot's only
// REST traffic: no request of another goroutine is in flight when a 429 comes.
func TestDiscordRateLimitStorm(t *testing.T) {
	t.Parallel()
	ctx := discordContext(t)
	channels, chans := discordChannels(10)
	fake := fakediscord.New(t, fakediscord.Options{
		Channels:   chans,
		GlobalRate: fakediscord.Rate{N: 5, Per: time.Second},
	})
	dir := t.TempDir()
	feeds := newGatedFeeds(t, dir)
	var urls []string
	for i := range 2 {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		testFeed(t, sub, 3+i, nil)
		urls = append(urls, feeds.url(fmt.Sprintf("%d/feed.xml", i)))
	}
	cfg := discordConfig(t, dir, urls, channels, nil, "backfill: 1\n")
	db := filepath.Join(dir, "state.db")
	bot := startBot(t, discordEnv(fake), "--config", cfg, "--db", db, "--log-level", "debug", "run")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log:\n%s", bot.logs())
		}
	})
	if err := fake.WaitReady(ctx, 1); err != nil {
		t.Fatalf("gateway: %v\n%s", err, bot.logs())
	}
	before := len(fake.Calls(""))
	feeds.open()
	want := 2 * len(channels)
	waitDiscordEveryChannel(ctx, t, fake, channels, 2)
	bot.waitLogCount(ctx, logDelivered, want)
	bot.stop(ctx)

	byKey := checkDiscordOnce(t, fake, channels, 2)
	checkOutbox(t, db, byKey)
	limited := 0
	for _, c := range fake.Calls("")[before:] {
		if c.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("no post was answered 429: the storm did not happen")
	}
	t.Logf("%d answers 429 during the fan-out; %d REST calls in all", limited, len(fake.Calls(""))-before)
}

// logGatewayGivenUp is what `pmbot run` logs when the Discord gateway will not be
// connected for the rest of the process's life.
const logGatewayGivenUp = "will not be answered over the gateway"

// waitGateway waits until the bot is connected to the fake's gateway, and fails
// at once if the bot logs that it gave up.
func waitGateway(ctx context.Context, t *testing.T, fake *fakediscord.Server, bot *botProcess) {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan error, 1)
	go func() { ready <- fake.WaitReady(wctx, 1) }()
	for {
		bot.mu.Lock()
		gaveUp, changed := strings.Contains(bot.log.String(), logGatewayGivenUp), bot.changed
		bot.mu.Unlock()
		if gaveUp {
			t.Fatalf("the bot gave up on the gateway:\n%s", bot.logs())
		}
		select {
		case err := <-ready:
			if err != nil {
				t.Fatalf("gateway: %v\n%s", err, bot.logs())
			}
			return
		case <-changed:
		case <-bot.exited:
			t.Fatalf("pmbot exited (%v):\n%s", bot.err, bot.logs())
		}
	}
}

// TestDiscordGatewayAfterRateLimit: `pmbot run` starts while Discord allows the
// bot two REST requests per 3 s: listing and registering its commands take them,
// and asking for the gateway's address is answered 429 (global), as when a
// restart lands in the second its predecessor used up. The bot waits as told and
// asks again: it connects to the gateway and answers a command; it never calls
// before a retry_after elapsed.
func TestDiscordGatewayAfterRateLimit(t *testing.T) {
	t.Parallel()
	ctx := discordContext(t)
	channels, chans := discordChannels(1)
	fake := fakediscord.New(t, fakediscord.Options{Channels: chans, GlobalRate: fakediscord.Rate{N: 2, Per: 3 * time.Second}})
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	cfg := discordConfig(t, dir, []string{feed}, channels, nil, "")
	bot := startBot(t, discordEnv(fake), "--config", cfg, "--db", filepath.Join(dir, "state.db"), "run")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log:\n%s", bot.logs())
		}
	})
	bot.waitLog(ctx, "first poll")
	waitGateway(ctx, t, fake, bot)
	if err := fake.Wait(ctx, func() bool { return len(fake.Commands("")) > 0 }); err != nil {
		t.Fatalf("the commands were never registered: %v", err)
	}
	rec, err := fake.SendInteraction(ctx, fakediscord.Interaction{
		Type: fakediscord.InteractionCommand, ChannelID: channels[0], Name: "postmortem", Options: subcommand("latest", "", nil, false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := rec.Response; r == nil || r.Late || r.Type != fakediscord.CallbackMessage || !strings.Contains(discordText(*r.Message), "Episode number 3") {
		t.Errorf("/postmortem latest answered %+v; want the latest episode, at once", r)
	}
	if fake.Stats().RateLimited == 0 {
		t.Errorf("no request was answered 429: the test did not test anything")
	}
	bot.stop(ctx)
}
