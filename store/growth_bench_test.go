package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
	"github.com/pmbot/pmbot/store/storetest"
)

// The store's cost as it grows (issue 10): what the bot does to its store (a
// poll, a claim and its outcome, the dispatcher's idle checks, the commands'
// reads, status) measured on a small store and, with -growth.large, on one of
// 100,000 episodes across 200 feeds with 1,000,000 sent deliveries, on SQLite
// and on PostgreSQL (PMBOT_TEST_POSTGRES_URL; skipped without it). The fill is
// bulk SQL behind the store's back, not measured. CI runs no benchmark, and the
// default size fills in about a second.
//
//	go test ./store -run '^$' -bench Growth -benchmem -growth.large -timeout 60m
var (
	growthLarge = flag.Bool("growth.large", false, "BenchmarkGrowth also fills and measures the large store (100,000 episodes, 1,000,000 sent deliveries; minutes per engine)")
	// growthRetain, when set, prunes the sent deliveries older than it right
	// after the fill (PruneDeliveries), as the bot's retention would have kept
	// the store: what the benchmarks then measure is the store with retention.
	growthRetain  = flag.Duration("growth.retain", 0, "BenchmarkGrowth prunes the sent deliveries older than this after the fill (0: keeps them all)")
	growthExplain = flag.Bool("growth.explain", false, "BenchmarkGrowth logs the plans of the hot queries on each filled store (run with -v)")
)

// growthSize is the shape of a filled store: feeds of perFeed weekly episodes,
// each feed followed by subsPerFeed channels, every episode sent to each.
type growthSize struct {
	name                        string
	feeds, perFeed, subsPerFeed int
}

func (s growthSize) episodes() int   { return s.feeds * s.perFeed }
func (s growthSize) deliveries() int { return s.episodes() * s.subsPerFeed }

func growthSizes() []growthSize {
	sizes := []growthSize{{name: "small", feeds: 2, perFeed: 500, subsPerFeed: 10}}
	if *growthLarge {
		sizes = append(sizes, growthSize{name: "large", feeds: 200, perFeed: 500, subsPerFeed: 10})
	}
	return sizes
}

// growthStore is a filled store under benchmark, with what the benchmarks need
// to know of its content.
type growthStore struct {
	ctx  context.Context
	db   *store.DB
	raw  *sql.DB // the same database behind the store's back, for fills
	pg   bool
	dsn  string // opens more stores on the database (PostgreSQL's claimers)
	size growthSize
	now  time.Time
	// origin is when episode 0 of every feed was published; episode n a week
	// per n later.
	origin time.Time
	feeds  []store.Feed
	// count is the episodes each feed has now (the poll benchmark adds some).
	count []int
	// pending numbers the deliveries the claim benchmarks enqueue.
	pending int
	// notes are every episode's show notes, of a realistic length (1.2 kB).
	notes string
}

// BenchmarkGrowth measures what the bot does to its store at each size, on
// each engine: see the comment on growthLarge.
func BenchmarkGrowth(b *testing.B) {
	engines := []struct {
		name string
		open func(b *testing.B) (dsn string, raw *sql.DB, pg bool)
	}{
		{"sqlite", func(b *testing.B) (string, *sql.DB, bool) {
			path := filepath.Join(b.TempDir(), "pmbot.db")
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
			if err != nil {
				b.Fatal(err)
			}
			raw.SetMaxOpenConns(1)
			b.Cleanup(func() { raw.Close() })
			return path, raw, false
		}},
		{"postgres", func(b *testing.B) (string, *sql.DB, bool) {
			dsn := storetest.PostgresURL(b)
			return dsn, storetest.Admin(b, dsn), true
		}},
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			for _, size := range growthSizes() {
				b.Run(size.name, func(b *testing.B) {
					dsn, raw, pg := eng.open(b)
					g := fillGrowth(b, dsn, raw, pg, size)
					g.run(b)
				})
			}
		})
	}
}

// run runs every measure on the filled store, one sub-benchmark each.
func (g *growthStore) run(b *testing.B) {
	lease := 2 * time.Minute // the dispatcher's claimLease
	feed := func(i int) store.Feed { return g.feeds[i%len(g.feeds)] }
	reads := []struct {
		name string
		op   func(i int) error
	}{
		{"next-due", func(int) error { _, _, err := g.db.NextDue(g.ctx); return err }},
		{"settle", func(int) error { _, err := store.SettleBacklog(g.ctx, g.db, 3, 7*24*time.Hour); return err }},
		{"health", func(int) error { _, err := g.db.Health(g.ctx); return err }},
		{"latest", func(i int) error { _, err := g.db.Latest(g.ctx, feed(i).ID, 10); return err }},
		{"episode-by-number", func(i int) error {
			_, err := g.db.EpisodeByNumber(g.ctx, feed(i).ID, 1+i%g.size.perFeed)
			return err
		}},
		{"number-prefix", func(i int) error {
			_, err := g.db.EpisodesByNumberPrefix(g.ctx, feed(i).ID, strconv.Itoa(1+i%9), 25)
			return err
		}},
		{"subscriptions-of", func(i int) error {
			_, err := g.db.SubscriptionsOf(g.ctx, "slack", growthChannel(i%len(g.feeds), i%g.size.subsPerFeed))
			return err
		}},
		{"archive-picks", func(i int) error {
			_, err := g.db.ArchivePicks(g.ctx, int64(1+i%(len(g.feeds)*g.size.subsPerFeed)), g.now.Add(-8*7*24*time.Hour))
			return err
		}},
		{"status", func(int) error { return g.status() }},
		{"damaged-episodes", func(int) error { _, err := g.db.DamagedEpisodes(g.ctx); return err }},
	}
	b.Run("poll", func(b *testing.B) {
		var parsed []feeds.Episode
		f := 0
		measure(b, func(i int) {
			f = i % len(g.feeds)
			parsed = g.feedDocument(f)
		}, func(int) error { return g.poll(f, parsed) })
		// The announcements it enqueued, posted: the next measures start from
		// an outbox with nothing pending.
		g.exec(b, `UPDATE deliveries SET status = 'sent', sent_at = ?, message_id = 'bench' WHERE status = 'pending'`, g.now.Unix())
	})
	b.Run("claim+sent", func(b *testing.B) {
		g.enqueue(b, b.N*10)
		measure(b, nil, func(int) error {
			dls, err := g.db.ClaimDue(g.ctx, 10, lease) // the dispatcher's claimBatch
			if err != nil {
				return err
			}
			if len(dls) != 10 {
				return fmt.Errorf("ClaimDue = %d deliveries, want 10", len(dls))
			}
			for _, dl := range dls {
				if err := g.db.MarkSent(g.ctx, dl.Claim(), "m"); err != nil {
					return err
				}
			}
			return nil
		})
	})
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) { measure(b, nil, r.op) })
	}
	claimers := []int{1}
	if g.pg {
		claimers = []int{1, 2, 4} // replicas, each with a store of its own
	}
	for _, n := range claimers {
		b.Run(fmt.Sprintf("claim-throughput/claimers=%d", n), func(b *testing.B) { g.claimThroughput(b, n, lease) })
	}
}

// measure runs op b.N times, after setup (not timed) when it is not nil, and
// reports the median and 99th percentile of one op besides the mean (ns/op).
func measure(b *testing.B, setup func(i int), op func(i int) error) {
	b.Helper()
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if setup != nil {
			b.StopTimer()
			setup(i)
			b.StartTimer()
		}
		t0 := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds()), "p99-µs")
}

// poll is the store's part of one poll that returned content, as bot/poller.go
// does it: the known content hashes (to skip unchanged notes), the poll recorded
// with its announcements, the feed's state saved.
func (g *growthStore) poll(f int, parsed []feeds.Episode) error {
	if _, err := g.db.ContentHashes(g.ctx, g.feeds[f].ID); err != nil {
		return err
	}
	res, err := store.RecordPoll(g.ctx, g.db, g.feeds[f].ID, parsed, feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		return err
	}
	if len(res.New) != 1 || res.Deliveries != g.size.subsPerFeed || len(res.Updated) != 0 {
		return fmt.Errorf("poll of feed %d: %d new, %d updated, %d deliveries; want 1 new announced to %d channels",
			f, len(res.New), len(res.Updated), res.Deliveries, g.size.subsPerFeed)
	}
	g.count[f]++
	fd := g.feeds[f]
	fd.LastPolledAt, fd.NextPollAt = g.now, g.now.Add(15*time.Minute)
	return g.db.SaveFeedState(g.ctx, fd)
}

// feedDocument is what a poll of feed f parses: its episodes, newest first, and
// one more that is new.
func (g *growthStore) feedDocument(f int) []feeds.Episode {
	n := g.count[f] + 1
	out := make([]feeds.Episode, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, g.episode(f, i))
	}
	return out
}

// status is what the status command reads (bot/status.go).
func (g *growthStore) status() error {
	fs, err := g.db.Feeds(g.ctx)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if _, err := g.db.CountEpisodes(g.ctx, f.ID); err != nil {
			return err
		}
	}
	if _, err := g.db.Health(g.ctx); err != nil {
		return err
	}
	if _, err := g.db.DamagedEpisodes(g.ctx); err != nil {
		return err
	}
	_, err = g.db.PausedSubscriptions(g.ctx)
	return err
}

// claimThroughput measures the deliveries per second that n claimers (each
// with a store of its own on PostgreSQL, as replicas; the one store on SQLite,
// whose dispatcher is one process) claim and mark sent, ClaimDue by ClaimDue as
// the dispatcher does, over 10,000 pending deliveries. Every delivery must be
// claimed and marked exactly once.
func (g *growthStore) claimThroughput(b *testing.B, n int, lease time.Duration) {
	const pending = 10_000
	stores := []*store.DB{g.db}
	for len(stores) < n {
		db, err := store.Open(g.ctx, g.dsn, store.Options{Dispatcher: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		stores = append(stores, db)
	}
	var total time.Duration
	var claims []time.Duration
	for range b.N {
		b.StopTimer()
		g.enqueue(b, pending)
		b.StartTimer()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			sent int
			errs []error
		)
		t0 := time.Now()
		for _, db := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine int
				var took []time.Duration
				defer func() {
					mu.Lock()
					sent += mine
					claims = append(claims, took...)
					mu.Unlock()
				}()
				for {
					c0 := time.Now()
					dls, err := db.ClaimDue(g.ctx, 10, lease)
					took = append(took, time.Since(c0))
					if err == nil && len(dls) == 0 {
						return
					}
					for _, dl := range dls {
						if err == nil {
							err = db.MarkSent(g.ctx, dl.Claim(), "m")
						}
						mine++
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		total += time.Since(t0)
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		if sent != pending {
			b.Fatalf("%d claimers sent %d deliveries, want each of the %d once", n, sent, pending)
		}
	}
	slices.Sort(claims)
	b.ReportMetric(float64(pending*b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(float64(claims[len(claims)*99/100].Microseconds()), "claim-p99-µs")
}

// growthChannel names channel s of feed f's followers.
func growthChannel(f, s int) string { return fmt.Sprintf("C%03d%02d", f, s) }

// episode is episode n of feed f as the feed gives it (the stored one is the
// same, so a poll that lists it changes nothing).
func (g *growthStore) episode(f, n int) feeds.Episode {
	published := g.origin.Add(time.Duration(n) * 7 * 24 * time.Hour)
	return feeds.Episode{
		GUID:            fmt.Sprintf("f%d-ep%d", f, n),
		Number:          n,
		Type:            feeds.TypeFull,
		Title:           fmt.Sprintf("Incident %d of feed %d: the database that grew", n, f),
		RawTitle:        fmt.Sprintf("#%d Incident %d of feed %d: the database that grew", n, n, f),
		Published:       published,
		DurationSeconds: 2400 + n,
		AudioURL:        fmt.Sprintf("https://cdn.example.com/f%d/ep%d.mp3", f, n),
		AudioType:       "audio/mpeg",
		Link:            fmt.Sprintf("https://podcast.example.com/f%d/%d", f, n),
		NotesHTML:       g.notes,
		NotesText:       g.notes,
		Language:        "fr",
	}
}

// fillGrowth opens the store on a new database and fills it to size: bulk SQL
// in one transaction behind the store's back, then the planner's statistics
// (PostgreSQL's autovacuum would have gathered them; SQLite has none unless
// ANALYZE runs, which pmbot does not).
func fillGrowth(b *testing.B, dsn string, raw *sql.DB, pg bool, size growthSize) *growthStore {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{Dispatcher: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	g := &growthStore{ctx: ctx, db: db, raw: raw, pg: pg, dsn: dsn, size: size, now: now,
		origin: now.Add(-time.Duration(size.perFeed+1) * 7 * 24 * time.Hour), count: make([]int, size.feeds),
		notes: strings.Repeat("<p>On retrace une panne réelle : la détection, le diagnostic, la remédiation et ce que l'équipe en a tiré. ", 12)}
	t0 := time.Now()
	for f := range size.feeds {
		fd, err := db.EnsureFeed(ctx, fmt.Sprintf("feed%d", f), fmt.Sprintf("https://podcast.example.com/f%d.xml", f))
		if err != nil {
			b.Fatal(err)
		}
		g.feeds = append(g.feeds, fd)
		g.count[f] = size.perFeed
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins := &bulk{b: b, ctx: ctx, tx: tx, pg: pg}
	// Table by table, so that each INSERT takes many rows (and an alias's
	// episode is there before it).
	for _, fd := range g.feeds {
		ins.exec(`UPDATE feeds SET polls = 1, url = ?, last_polled_at = ? WHERE id = ?`, fd.Source, now.Unix(), fd.ID)
	}
	subID := int64(0)
	for f, fd := range g.feeds {
		for s := range size.subsPerFeed {
			subID++
			ins.row(`INSERT INTO subscriptions (id, platform, channel, feed_id, language, created_at) VALUES `,
				subID, "slack", growthChannel(f, s), fd.ID, "fr", g.origin.Unix())
		}
	}
	var aliases [][]any
	epID := int64(0)
	for f, fd := range g.feeds {
		for n := 1; n <= size.perFeed; n++ {
			ep := g.episode(f, n)
			data, err := json.Marshal(ep)
			if err != nil {
				b.Fatal(err)
			}
			epID++
			firstSeen := ep.Published.Add(time.Hour).Unix()
			ins.row(`INSERT INTO episodes (id, feed_id, guid, number, published, title, data, hash, first_seen) VALUES `,
				epID, fd.ID, ep.GUID, ep.Number, ep.Published.Unix(), ep.Title, string(data), ep.ContentHash(), firstSeen)
			for _, k := range feeds.Aliases(ep) {
				aliases = append(aliases, []any{fd.ID, k, epID})
			}
		}
	}
	for _, a := range aliases {
		ins.row(`INSERT INTO episode_aliases (feed_id, alias, episode_id) VALUES `, a...)
	}
	// Every episode sent to every channel of its feed, a minute after it was
	// first seen, in the order they were enqueued.
	ins.exec(`INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, status, attempts, due_at, message_id, created_at, sent_at)
		SELECT s.id, 'episode', 'episode:' || CAST(e.id AS TEXT), CAST(e.id AS TEXT), 'sent', 1, e.first_seen, 'm' || CAST(e.id AS TEXT), e.first_seen, e.first_seen + 60
		FROM episodes e JOIN subscriptions s ON s.feed_id = e.feed_id ORDER BY e.first_seen, e.id, s.id`)
	if pg {
		// Ids given explicitly leave the identity sequences behind.
		for _, t := range []string{"episodes", "subscriptions"} {
			ins.exec(`SELECT setval(pg_get_serial_sequence('` + t + `', 'id'), (SELECT MAX(id) FROM ` + t + `))`)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	filled := time.Since(t0)
	g.settle(b)
	msg := fmt.Sprintf("%s: %d episodes, %d sent deliveries, filled in %v", size.name, size.episodes(), size.deliveries(), filled.Round(time.Millisecond))
	if *growthRetain > 0 {
		t1 := time.Now()
		n, err := db.PruneDeliveries(ctx, now.Add(-*growthRetain))
		if err != nil {
			b.Fatal(err)
		}
		msg += fmt.Sprintf("; pruned %d sent before %v in %v", n, *growthRetain, time.Since(t1).Round(time.Millisecond))
		g.settle(b)
	}
	b.Log(msg)
	if *growthExplain {
		g.explain(b)
	}
	return g
}

// settle brings the database to the steady state of one that grew over years
// rather than in one transaction: on PostgreSQL, the planner's statistics and
// the visibility map (autovacuum would have made them) and a checkpoint, which
// otherwise writes the fill's gigabyte back for minutes (checkpoint_completion_target)
// while the benchmarks run; on SQLite, the WAL written back into the database.
// SQLite gets no statistics: pmbot never runs ANALYZE.
func (g *growthStore) settle(b *testing.B) {
	b.Helper()
	stmts := []string{`PRAGMA wal_checkpoint(TRUNCATE)`}
	if g.pg {
		stmts = []string{`VACUUM ANALYZE`, `CHECKPOINT`}
	}
	for _, q := range stmts {
		if _, err := g.raw.ExecContext(g.ctx, q); err != nil {
			// CHECKPOINT needs a superuser (or pg_checkpoint): measure anyway.
			b.Logf("%s: %v; the figures may include the fill's writes", q, err)
		}
	}
}

// hotQueries are the store's statements that run on every poll, claim, idle
// check or command, as the store writes them (PostgreSQL's claim adds FOR UPDATE
// SKIP LOCKED), with arguments for the filled store: what -growth.explain plans.
func (g *growthStore) hotQueries() []struct {
	name, query string
	args        []any
} {
	now, sub, feed := g.now.Unix(), int64(1), g.feeds[0].ID
	greatest, lock := "MAX", ""
	if g.pg {
		greatest, lock = "GREATEST", " FOR UPDATE SKIP LOCKED"
	}
	return []struct {
		name, query string
		args        []any
	}{
		{"ClaimDue", `SELECT id FROM deliveries WHERE status = 'pending' AND due_at <= ? AND claimed_until <= ? ORDER BY due_at, id LIMIT ?` + lock, []any{now, now, 10}},
		{"MarkSent", `UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, last_error = '', claimed_until = 0, claim_token = '' WHERE id = ? AND claim_token = ?`, []any{"m", now, 1, "t"}},
		{"NextDue", `SELECT MIN(` + greatest + `(due_at, claimed_until)) FROM deliveries WHERE status = 'pending'`, nil},
		{"BacklogState", `SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
			WHERE d.status = 'pending' AND d.kind IN (?, ?) AND d.claimed_until <= ? AND d.claim_token = '' AND d.in_doubt = 0 ORDER BY d.subscription_id, d.id`, []any{store.KindEpisode, store.KindSummary, now}},
		{"Health", `SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END), 0) FROM deliveries`, nil},
		{"Health (last dead)", `SELECT last_error FROM deliveries WHERE status = 'dead' ORDER BY id DESC LIMIT 1`, nil},
		{"ArchivePicks", `SELECT episode_ids FROM deliveries WHERE subscription_id = ? AND kind = ? AND created_at >= ? ORDER BY created_at, id`, []any{sub, store.KindDigestArchive, now - 8*7*86400}},
		{"ApplyPoll (enqueue)", `SELECT 1 FROM deliveries WHERE subscription_id = ? AND dedupe_key = ?`, []any{sub, "episode:1"}},
		{"activeSubscriptions", `SELECT s.id FROM subscriptions s WHERE s.feed_id = ? AND s.active = 1 ORDER BY s.id`, []any{feed}},
		{"SubscriptionsOf", `SELECT s.id FROM subscriptions s WHERE s.active = 1 AND s.platform = ? AND s.channel = ? ORDER BY s.id`, []any{"slack", growthChannel(0, 0)}},
		{"loadKnown", `SELECT id, guid, hash FROM episodes WHERE feed_id = ?`, []any{feed}},
		{"loadAliases", `SELECT alias, episode_id FROM episode_aliases WHERE feed_id = ?`, []any{feed}},
		{"Latest", `SELECT id, feed_id, data FROM episodes WHERE feed_id = ? ORDER BY published DESC, id DESC`, []any{feed}},
		{"EpisodeByNumber", `SELECT id, feed_id, data FROM episodes WHERE feed_id = ? AND number = ? ORDER BY published DESC, id DESC`, []any{feed, 17}},
		{"CountEpisodes", `SELECT COUNT(*) FROM episodes WHERE feed_id = ?`, []any{feed}},
		{"PruneDeliveries", `SELECT id, due_at, sent_at, kind FROM deliveries WHERE status = 'sent' AND due_at < ? AND (due_at, id) > (?, ?) ORDER BY due_at, id LIMIT ?`, []any{now - 30*86400, now - 400*86400, 5000, 1000}},
	}
}

// explain logs the plan of each hot query.
func (g *growthStore) explain(b *testing.B) {
	b.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if g.pg {
		prefix = "EXPLAIN "
	}
	for _, q := range g.hotQueries() {
		query := prefix + q.query
		if g.pg {
			query = numbered(query)
		}
		rows, err := g.raw.QueryContext(g.ctx, query, q.args...)
		if err != nil {
			b.Fatalf("%s: %v", q.name, err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1])) // SQLite's detail, PostgreSQL's line
		}
		rows.Close()
		b.Logf("plan of %s:\n    %s", q.name, strings.Join(plan, "\n    "))
	}
}

// enqueue adds n pending deliveries, due now, spread over every subscription:
// what the claim benchmarks take.
func (g *growthStore) enqueue(b *testing.B, n int) {
	b.Helper()
	tx, err := g.raw.BeginTx(g.ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins := &bulk{b: b, ctx: g.ctx, tx: tx, pg: g.pg}
	subs := len(g.feeds) * g.size.subsPerFeed
	due := time.Now().Add(-time.Second).Unix()
	for range n {
		g.pending++
		ins.row(`INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES `,
			1+g.pending%subs, store.KindEpisode, "bench:"+strconv.Itoa(g.pending), "", due, due)
	}
	ins.flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// exec runs one statement behind the store's back.
func (g *growthStore) exec(b *testing.B, query string, args ...any) {
	b.Helper()
	if g.pg {
		query = numbered(query)
	}
	if _, err := g.raw.ExecContext(g.ctx, query, args...); err != nil {
		b.Fatalf("%s: %v", query, err)
	}
}

// bulk gathers rows into multi-row INSERTs, one statement per table and batch.
type bulk struct {
	b    *testing.B
	ctx  context.Context
	tx   *sql.Tx
	pg   bool
	head string
	rows int
	args []any
}

// bulkRows is how many rows one INSERT takes: its parameters stay well under
// SQLite's limit (32,766) and PostgreSQL's (65,535).
const bulkRows = 500

func (ins *bulk) row(head string, vals ...any) {
	if head != ins.head || ins.rows == bulkRows {
		ins.flush()
		ins.head = head
	}
	ins.rows++
	ins.args = append(ins.args, vals...)
}

func (ins *bulk) flush() {
	if ins.rows == 0 {
		return
	}
	n := len(ins.args) / ins.rows
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	query, args := ins.head+strings.TrimSuffix(strings.Repeat(one+", ", ins.rows), ", ")+` ON CONFLICT DO NOTHING`, ins.args
	ins.rows, ins.args = 0, nil
	ins.run(query, args...)
}

// exec runs one statement, after the rows gathered so far.
func (ins *bulk) exec(query string, args ...any) {
	ins.b.Helper()
	ins.flush()
	ins.run(query, args...)
}

func (ins *bulk) run(query string, args ...any) {
	ins.b.Helper()
	if ins.pg {
		query = numbered(query)
	}
	if _, err := ins.tx.ExecContext(ins.ctx, query, args...); err != nil {
		ins.b.Fatalf("fill: %.200s: %v", query, err)
	}
}

// numbered rewrites ? placeholders to PostgreSQL's $1, $2 … (the fill's SQL
// quotes no ?).
func numbered(query string) string {
	var out strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}
