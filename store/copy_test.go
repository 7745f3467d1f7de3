package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
	"github.com/pmbot/pmbot/store/storetest"
)

// engine is where a copy test keeps a database: a SQLite file, or a PostgreSQL
// schema of the test's own (skipped without PMBOT_TEST_POSTGRES_URL).
type engine struct {
	name string
	// url returns a new, empty database's path or URL.
	url func(t *testing.T) string
	// raw opens it with database/sql alone, to look behind the store's back.
	raw func(t *testing.T, url string) *sql.DB
}

func sqliteEngine() engine {
	return engine{
		name: "SQLite",
		url:  func(t *testing.T) string { return filepath.Join(t.TempDir(), "pmbot.db") },
		raw: func(t *testing.T, path string) *sql.DB {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

func postgresEngine() engine {
	return engine{
		name: "PostgreSQL",
		url:  func(t *testing.T) string { return storetest.PostgresURL(t) },
		raw:  func(t *testing.T, dsn string) *sql.DB { return storetest.Admin(t, dsn) },
	}
}

// copyCases are the directions a copy is tested in.
func copyCases() []struct {
	name     string
	from, to engine
} {
	sqlite, pg := sqliteEngine(), postgresEngine()
	return []struct {
		name     string
		from, to engine
	}{
		{"SQLite to SQLite", sqlite, sqlite},
		{"SQLite to PostgreSQL", sqlite, pg},
		{"PostgreSQL to SQLite", pg, sqlite},
		{"PostgreSQL to PostgreSQL", pg, pg},
	}
}

var copyStart = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// open opens a store with the test's clock, closed when the test ends.
func open(t *testing.T, url string, clock *storetest.Clock, opts store.Options) *store.DB {
	t.Helper()
	opts.Now = clock.Now
	db, err := store.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openSource opens a filled database as `pmbot migrate` does.
func openSource(t *testing.T, url string, clock *storetest.Clock) *store.DB {
	t.Helper()
	db, err := store.OpenSource(context.Background(), url, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("OpenSource: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// episode n of a feed on host; episodes 1000 to 1003 have notes of a megabyte
// each, so that a batch is cut by its size too.
func episode(n int, host string) feeds.Episode {
	ep := feeds.Episode{
		GUID:      fmt.Sprintf("%s-guid-%d", host, n),
		Number:    n,
		Type:      feeds.TypeFull,
		Title:     fmt.Sprintf("Épisode %d : l'incident", n),
		Published: time.Date(2020, 1, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n),
		AudioURL:  fmt.Sprintf("https://%s/ep%d.mp3", host, n),
		NotesText: fmt.Sprintf("Notes of episode %d.", n),
	}
	if n >= 1000 && n < 1004 {
		ep.NotesText = strings.Repeat(fmt.Sprintf("Points clés de l'épisode %d. ", n), 35_000)
	}
	return ep
}

// upTo lists episodes 1..n newest first, as feeds do.
func upTo(host string, n int) []feeds.Episode {
	var out []feeds.Episode
	for i := n; i >= 1; i-- {
		out = append(out, episode(i, host))
	}
	return out
}

// filled is what fill made that the tests look at again.
type filled struct {
	feed     store.Feed // the feed the channels follow
	console  store.Subscription
	inFlight int64 // the delivery claimed and never reported
	digest   int64 // the digest's delivery, due
}

// fill gives a store the history of a community, through the store's API: a
// feed its channels follow and an archive feed of the given size (1200 makes
// several batches, one cut by its size); channels subscribed by the configuration and
// by a command, one unsubscribed, one paused; deliveries sent, dead, to retry
// and one claimed whose outcome was never recorded (its process died
// mid-post); digests, one with nothing to post.
func fill(t *testing.T, db *store.DB, clock *storetest.Clock, archiveSize int) filled {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	poll := func(f store.Feed, eps []feeds.Episode) store.PollResult {
		t.Helper()
		res, err := store.RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil)
		must(err)
		return res
	}
	pm, err := db.EnsureFeed(ctx, "pm", "https://pm.example/feed.xml")
	must(err)
	archive, err := db.EnsureFeed(ctx, "archive", "https://archive.example/feed.xml")
	must(err)
	console, err := db.EnsureSubscription(ctx, store.Subscription{Platform: "console", Channel: "stdout", FeedID: pm.ID, Language: "en",
		DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"})
	must(err)
	_, _, err = db.Subscribe(ctx, store.Subscription{Platform: "slack", Channel: "C2", FeedID: pm.ID, Language: "fr", Topics: []string{"bgp", "dns"}})
	must(err)
	_, _, err = db.Subscribe(ctx, store.Subscription{Platform: "discord", Channel: "D3", FeedID: pm.ID, Language: "en"})
	must(err)
	_, err = db.Unsubscribe(ctx, "discord", "D3")
	must(err)
	paused, _, err := db.Subscribe(ctx, store.Subscription{Platform: "slack", Channel: "C4", FeedID: pm.ID, Language: "en"})
	must(err)

	poll(pm, upTo("pm", 3))
	poll(archive, upTo("archive", archiveSize))
	clock.Add(time.Hour)
	if res := poll(pm, upTo("pm", 5)); res.Deliveries != 6 {
		t.Fatalf("second poll: %d deliveries, want 6 (2 episodes, 3 channels)", res.Deliveries)
	}
	claimed, err := db.ClaimDue(ctx, 10, time.Hour)
	must(err)
	if len(claimed) != 6 {
		t.Fatalf("ClaimDue = %d deliveries, want 6", len(claimed))
	}
	// Episode 4 then 5, each to stdout, C2 and C4.
	if ch := claimed[3].Subscription.Channel; ch != "stdout" {
		t.Fatalf("the 4th delivery claimed is for %s, want stdout", ch)
	}
	must(db.MarkSent(ctx, claimed[0].Claim(), "msg-0"))
	must(db.MarkRetry(ctx, claimed[1].Claim(), "429: rate limited", clock.Now().Add(time.Hour), true))
	must(db.MarkDead(ctx, claimed[2].Claim(), "too long"))
	// claimed[3] stays claimed: in flight when the copy reads it.
	must(db.MarkSent(ctx, claimed[4].Claim(), "msg-4"))
	// claimed[5] is given up by the pause while still claimed.
	must(db.PauseSubscription(ctx, paused.ID, "channel_not_found"))

	ids := make([]int64, 0, 2)
	for _, n := range []int{4, 5} {
		ep, err := db.EpisodeByNumber(ctx, pm.ID, n)
		must(err)
		ids = append(ids, ep.ID)
	}
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	_, err = db.EnqueueDigest(ctx, store.DigestEntry{SubscriptionID: console.ID, Period: at.Add(-7 * 24 * time.Hour).Format(time.RFC3339), At: at.Add(-7 * 24 * time.Hour)})
	must(err)
	_, err = db.EnqueueDigest(ctx, store.DigestEntry{SubscriptionID: console.ID, Period: at.Format(time.RFC3339), At: at, Kind: store.KindDigest, EpisodeIDs: ids})
	must(err)

	pm, err = db.FeedByName(ctx, "pm")
	must(err)
	pm.ETag, pm.LastModified, pm.URL, pm.Title = `"v7"`, "Fri, 27 Nov 2026 09:00:00 GMT", "https://cdn.pm.example/feed.xml", "Post Mortem"
	pm.NextPollAt, pm.LastPolledAt = clock.Now().Add(15*time.Minute), clock.Now()
	must(db.SaveFeedState(ctx, pm))

	dls, err := db.Deliveries(ctx, store.StatusPending)
	must(err)
	out := filled{feed: pm, console: console, inFlight: claimed[3].ID}
	for _, dl := range dls {
		if dl.Kind == store.KindDigest {
			out.digest = dl.ID
		}
	}
	return out
}

// answers is what a store says about everything fill made.
type answers struct {
	Feeds        []store.Feed
	Polls        map[string]store.PollState
	Episodes     map[string][]store.Episode
	Deliveries   []store.Delivery
	Paused       []store.Subscription
	WithDigest   []store.Subscription
	LastDigest   []string
	SubscribedAt []time.Time
	Health       store.OutboxHealth
	NextDue      time.Time
}

func answersOf(t *testing.T, db *store.DB) answers {
	t.Helper()
	ctx := context.Background()
	var a answers
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a.Feeds, err = db.Feeds(ctx)
	must(err)
	a.Polls, a.Episodes = make(map[string]store.PollState), make(map[string][]store.Episode)
	for _, f := range a.Feeds {
		a.Polls[f.Name], err = db.PollState(ctx, f.ID)
		must(err)
		a.Episodes[f.Name], err = db.Episodes(ctx, f.ID)
		must(err)
	}
	a.Deliveries, err = db.Deliveries(ctx, "")
	must(err)
	a.Paused, err = db.PausedSubscriptions(ctx)
	must(err)
	a.WithDigest, err = db.SubscriptionsWithDigest(ctx)
	must(err)
	for _, s := range a.Polls["pm"].Subscriptions {
		period, at, ok, err := db.LastDigest(ctx, s.ID)
		must(err)
		a.LastDigest = append(a.LastDigest, fmt.Sprint(s.Channel, period, at, ok))
		since, err := db.SubscribedAt(ctx, s.ID)
		must(err)
		a.SubscribedAt = append(a.SubscribedAt, since)
	}
	a.Health, err = db.Health(ctx)
	must(err)
	a.NextDue, _, err = db.NextDue(ctx)
	must(err)
	return a
}

// rawTables reads every row of pmbot's tables as text, by primary key, leaving
// out the columns of a delivery's claim (which a copy releases on purpose).
func rawTables(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := make(map[string][]string)
	for table, order := range map[string]string{
		"feeds": "id", "episodes": "id", "episode_aliases": "feed_id, alias", "subscriptions": "id", "deliveries": "id", "digests": "subscription_id, period",
	} {
		rows, err := db.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY `+order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				switch c {
				case "claimed_until", "claim_token", "in_doubt":
					continue
				}
				v := vals[i]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v ", c, v)
			}
			out[table] = append(out[table], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// TestCopy copies a community's history in each direction between SQLite and
// PostgreSQL: the destination answers as the source did, row for row; the
// delivery in flight comes back at once and in doubt; and new rows take new
// ids (PostgreSQL's sequences were moved past the copied ones).
func TestCopy(t *testing.T) {
	for _, tt := range copyCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := &storetest.Clock{}
			clock.Set(copyStart)
			fromURL, toURL := tt.from.url(t), tt.to.url(t)
			src := open(t, fromURL, clock, store.Options{Dispatcher: true})
			f := fill(t, src, clock, 1200)
			src.Close() // as a killed `pmbot run` leaves it: one claim without outcome
			src = openSource(t, fromURL, clock)
			dst := open(t, toURL, clock, store.Options{Dispatcher: true})

			want := answersOf(t, src)
			var progress []string
			report, err := store.Copy(ctx, src, dst, func(table string, rows int64) {
				progress = append(progress, fmt.Sprintf("%s %d", table, rows))
			})
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}

			got := answersOf(t, dst)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the destination answers otherwise (-source +destination):\n%s", diff)
			}
			if diff := cmp.Diff(rawTables(t, tt.from.raw(t, fromURL)), rawTables(t, tt.to.raw(t, toURL))); diff != "" {
				t.Errorf("rows differ (-source +destination):\n%s", diff)
			}

			aliases := 0
			for _, st := range want.Polls {
				aliases += len(st.Aliases)
			}
			wantTables := []store.TableRows{
				{Table: "feeds", Rows: 2},
				{Table: "episodes", Rows: 1205},
				{Table: "episode_aliases", Rows: int64(aliases)},
				{Table: "subscriptions", Rows: 4},
				{Table: "deliveries", Rows: int64(len(want.Deliveries))},
				{Table: "digests", Rows: 2},
			}
			if diff := cmp.Diff(store.CopyReport{Tables: wantTables, InFlight: 1}, report); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			var wantProgress []string
			for _, tr := range wantTables {
				wantProgress = append(wantProgress, fmt.Sprintf("%s %d", tr.Table, tr.Rows))
			}
			if diff := cmp.Diff(wantProgress, progress); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}

			// Due now: the delivery in flight, released and in doubt (the next
			// dispatcher looks for it on the platform before posting), and the
			// digest; the retry waits for its time.
			claimed, err := dst.ClaimDue(ctx, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			type due struct {
				ID      int64
				InDoubt bool
			}
			var dues []due
			for _, dl := range claimed {
				dues = append(dues, due{dl.ID, dl.InDoubt})
			}
			if diff := cmp.Diff([]due{{f.inFlight, true}, {f.digest, false}}, dues); diff != "" {
				t.Errorf("ClaimDue after the copy (-want +got):\n%s", diff)
			}

			// New rows after the copy: new ids, past every copied one.
			newFeed, err := dst.EnsureFeed(ctx, "new", "https://new.example/feed.xml")
			if err != nil {
				t.Fatalf("EnsureFeed after the copy: %v", err)
			}
			sub, _, err := dst.Subscribe(ctx, store.Subscription{Platform: "slack", Channel: "C9", FeedID: f.feed.ID, Language: "en"})
			if err != nil {
				t.Fatalf("Subscribe after the copy: %v", err)
			}
			clock.Add(time.Hour)
			res, err := store.RecordPoll(ctx, dst, f.feed.ID, upTo("pm", 6), feeds.Policy{FloodLimit: 3}, nil)
			if err != nil || len(res.New) != 1 || res.Deliveries != 3 {
				t.Fatalf("poll after the copy: %+v, %v; want episode 6 for 3 channels", res, err)
			}
			var lastDelivery int64
			for _, dl := range want.Deliveries {
				lastDelivery = max(lastDelivery, dl.ID)
			}
			pending, err := dst.Deliveries(ctx, store.StatusPending)
			if err != nil {
				t.Fatal(err)
			}
			newest := pending[len(pending)-1].ID
			if newFeed.ID != 3 || sub.ID != 5 || res.New[0].ID != 1206 || newest != lastDelivery+3 {
				t.Errorf("ids after the copy: feed %d, subscription %d, episode %d, delivery %d; want 3, 5, 1206, %d",
					newFeed.ID, sub.ID, res.New[0].ID, newest, lastDelivery+3)
			}
		})
	}
}

// TestCopyRefusesNonEmptyDestination: a copy is a move into an empty database;
// into one with pmbot data it writes nothing and says what is there.
func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	for _, to := range []engine{sqliteEngine(), postgresEngine()} {
		t.Run(to.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := &storetest.Clock{}
			clock.Set(copyStart)
			fromURL := sqliteEngine().url(t)
			src := open(t, fromURL, clock, store.Options{})
			fill(t, src, clock, 10)
			dst := open(t, to.url(t), clock, store.Options{Dispatcher: true})
			if _, err := dst.EnsureFeed(ctx, "pm", "https://pm.example/feed.xml"); err != nil {
				t.Fatal(err)
			}
			_, err := store.Copy(ctx, src, dst, nil)
			if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "already holds pmbot data (feeds: 1)") {
				t.Fatalf("Copy into a database with a feed = %v; want ErrNotEmpty naming it", err)
			}
			fs, err := dst.Feeds(ctx)
			if err != nil || len(fs) != 1 {
				t.Errorf("after the refusal the destination has %d feeds (%v), want its 1", len(fs), err)
			}
		})
	}
}

// TestCopyInterruptedLeavesDestinationEmpty: a copy stopped half-way (its
// context cancelled after two tables) writes nothing, and a copy started again
// goes through.
func TestCopyInterruptedLeavesDestinationEmpty(t *testing.T) {
	for _, to := range []engine{sqliteEngine(), postgresEngine()} {
		t.Run(to.name, func(t *testing.T) {
			t.Parallel()
			clock := &storetest.Clock{}
			clock.Set(copyStart)
			src := open(t, sqliteEngine().url(t), clock, store.Options{})
			fill(t, src, clock, 10)
			dst := open(t, to.url(t), clock, store.Options{Dispatcher: true})

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var copied []string
			_, err := store.Copy(ctx, src, dst, func(table string, _ int64) {
				copied = append(copied, table)
				if table == "episodes" {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Copy cancelled after %v = %v, want context.Canceled", copied, err)
			}
			bg := context.Background()
			if fs, err := dst.Feeds(bg); err != nil || len(fs) != 0 {
				t.Fatalf("after the interrupted copy the destination has %d feeds (%v), want none", len(fs), err)
			}
			report, err := store.Copy(bg, src, dst, nil)
			if err != nil || len(report.Tables) != 6 || report.Tables[1].Rows != 15 {
				t.Errorf("copy again = %+v, %v; want every table, 15 episodes", report, err)
			}
		})
	}
}

// TestCopyRefusesUnknownColumn: a table with a column the copy does not know
// (a newer migration that copy.go was not taught) is refused rather than
// copied without it.
func TestCopyRefusesUnknownColumn(t *testing.T) {
	ctx := context.Background()
	clock := &storetest.Clock{}
	clock.Set(copyStart)
	sqlite := sqliteEngine()
	fromURL := sqlite.url(t)
	src := open(t, fromURL, clock, store.Options{})
	if _, err := src.EnsureFeed(ctx, "pm", "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.raw(t, fromURL).ExecContext(ctx, `ALTER TABLE deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 0`); err != nil {
		t.Fatal(err)
	}
	dst := open(t, sqlite.url(t), clock, store.Options{})
	_, err := store.Copy(ctx, src, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "table deliveries has a column priority that this pmbot cannot copy") {
		t.Errorf("Copy with an unknown column = %v; want it refused", err)
	}
	if fs, _ := dst.Feeds(ctx); len(fs) != 0 {
		t.Errorf("the destination has %d feeds after the refusal, want none", len(fs))
	}
}

// TestOpenSource: the source of a copy must exist (no empty database is made
// for a mistyped path), and is refused while a pmbot process dispatches from it.
func TestOpenSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	if _, err := store.OpenSource(ctx, missing, store.Options{}); err == nil || !strings.Contains(err.Error(), "no such database file") {
		t.Errorf("OpenSource(missing) = %v, want no such database file", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("OpenSource created %s", missing)
	}
	if _, err := store.OpenSource(ctx, store.Memory, store.Options{}); err == nil {
		t.Error("OpenSource(:memory:) = nil error, want a refusal")
	}

	path := filepath.Join(dir, "pmbot.db")
	running, err := store.Open(ctx, path, store.Options{Dispatcher: true}) // a pmbot run
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenSource(ctx, "sqlite://"+path, store.Options{}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("OpenSource while a run holds the file = %v, want ErrLocked", err)
	}
	running.Close()
	src, err := store.OpenSource(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("OpenSource once the run stopped: %v", err)
	}
	defer src.Close()
	// While the copy holds it, no run starts on it.
	if _, err := store.Open(ctx, path, store.Options{Dispatcher: true}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("a run starting during the copy = %v, want ErrLocked", err)
	}
}
