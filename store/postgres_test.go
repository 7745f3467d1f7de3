package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
	"github.com/pmbot/pmbot/store/storetest"
)

// openPG opens the store on a PostgreSQL URL, closed when the test ends.
func openPG(t *testing.T, dsn string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgresConformance runs the store conformance suite against PostgreSQL,
// each test in a schema of its own (PMBOT_TEST_POSTGRES_URL; skipped without
// it), opened as the dispatcher of run opens it.
func TestPostgresConformance(t *testing.T) {
	storetest.PostgresBase(t) // skips at once without a server
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openPG(t, storetest.PostgresURL(t), store.Options{Now: now, Dispatcher: true})
	})
}

// Migrations are idempotent, and replicas starting at once migrate one after the
// other under the advisory lock: every Open succeeds, each version is applied
// once.
func TestPostgresMigrations(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	const opens = 6
	var wg sync.WaitGroup
	errs := make(chan error, opens)
	for range opens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, dsn, store.Options{Dispatcher: true})
			if err != nil {
				errs <- err
				return
			}
			errs <- db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	openPG(t, dsn, store.Options{}).Close() // once more: nothing to do
	admin := storetest.Admin(t, dsn)
	var n, distinct, latest int
	if err := admin.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations`).Scan(&n, &distinct, &latest); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n != latest || n < 8 {
		t.Errorf("schema_migrations: %d rows, %d versions, latest %d; want each version 1..latest once", n, distinct, latest)
	}
}

// A database migrated by a newer pmbot is refused, read-only or not, with
// ErrNewerSchema, and left alone; so is a schema holding another application's
// tables.
func TestPostgresRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	openPG(t, dsn, store.Options{}).Close()
	admin := storetest.Admin(t, dsn)
	if _, err := admin.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []store.Options{{}, {Dispatcher: true}, {ReadOnly: true}} {
		_, err := store.Open(ctx, dsn, opts)
		if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "schema version 999") {
			t.Errorf("Open(%+v) of a newer schema = %v, want ErrNewerSchema", opts, err)
		}
	}
	if _, err := store.ProbeDatabase(ctx, dsn); !errors.Is(err, store.ErrNewerSchema) {
		t.Errorf("ProbeDatabase of a newer schema = %v, want ErrNewerSchema", err)
	}

	other := storetest.PostgresURL(t)
	if _, err := storetest.Admin(t, other).ExecContext(ctx, `CREATE TABLE invoices (id INT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, other, store.Options{}); !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "not a pmbot database") {
		t.Errorf("Open of another application's schema = %v, want ErrDamaged", err)
	}
}

// ProbeDatabase, what check-config asks, reads the server's version and the
// schema's without changing anything.
func TestPostgresProbe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	info, err := store.ProbeDatabase(ctx, dsn)
	if err != nil || info.Engine != "PostgreSQL" || info.Server == "" || info.Schema != 0 || info.Latest < 8 {
		t.Fatalf("ProbeDatabase(empty schema) = %+v, %v", info, err)
	}
	var tables int
	if err := storetest.Admin(t, dsn).QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("ProbeDatabase created %d tables (%v)", tables, err)
	}
	openPG(t, dsn, store.Options{}).Close()
	if info, err = store.ProbeDatabase(ctx, dsn); err != nil || info.Schema != info.Latest {
		t.Errorf("ProbeDatabase(migrated) = %+v, %v; want the latest schema", info, err)
	}
	missing := storetest.WithSearchPath(t, storetest.PostgresBase(t), "pmbot_no_such_schema")
	for what, err := range map[string]error{
		"ProbeDatabase": func() error { _, err := store.ProbeDatabase(ctx, missing); return err }(),
		"Open":          func() error { _, err := store.Open(ctx, missing, store.Options{}); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "no schema of the search_path exists") {
			t.Errorf("%s with a search_path naming no schema = %v", what, err)
		}
	}
}

// Claims from two stores (two pools, as two replicas have) never hand one
// delivery out twice: FOR UPDATE SKIP LOCKED.
func TestPostgresClaimsAcrossPools(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	now := func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }
	a := openPG(t, dsn, store.Options{Now: now, Dispatcher: true})
	b := openPG(t, dsn, store.Options{Now: now, Dispatcher: true})
	f, err := a.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	const channels = 100
	for i := range channels {
		if _, err := a.EnsureSubscription(ctx, store.Subscription{Platform: "console", Channel: fmt.Sprintf("c%03d", i), FeedID: f.ID, Language: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	policy := feeds.Policy{FloodLimit: 3}
	if _, err := store.RecordPoll(ctx, a, f.ID, episodes(1), policy, nil); err != nil {
		t.Fatal(err)
	}
	res, err := store.RecordPoll(ctx, a, f.ID, episodes(3), policy, nil)
	if err != nil || res.Deliveries != 2*channels {
		t.Fatalf("RecordPoll = %+v, %v; want %d deliveries", res, err, 2*channels)
	}

	var mu sync.Mutex
	claimed := make(map[int64]int)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, st := range []*store.DB{a, b, a, b, a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, err := st.ClaimDue(ctx, 4, time.Hour)
				if err != nil || len(batch) == 0 {
					errs <- err
					return
				}
				mu.Lock()
				for _, dl := range batch {
					claimed[dl.ID]++
				}
				mu.Unlock()
				for _, dl := range batch {
					if err := st.MarkSent(ctx, dl.Claim(), "m"); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(claimed) != 2*channels {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), 2*channels)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
}

// A dispatcher starting on PostgreSQL leaves the claims it finds alone: they
// are another replica's, live (on SQLite, the one dispatcher releases them as
// stale).
func TestPostgresOpenKeepsClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	now := func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }
	a := openPG(t, dsn, store.Options{Now: now, Dispatcher: true})
	f, err := a.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.EnsureSubscription(ctx, store.Subscription{Platform: "console", Channel: "c", FeedID: f.ID, Language: "en"}); err != nil {
		t.Fatal(err)
	}
	policy := feeds.Policy{FloodLimit: 3}
	for _, n := range []int{1, 2} {
		if _, err := store.RecordPoll(ctx, a, f.ID, episodes(n), policy, nil); err != nil {
			t.Fatal(err)
		}
	}
	held, err := a.ClaimDue(ctx, 10, time.Hour)
	if err != nil || len(held) != 1 {
		t.Fatalf("ClaimDue = %d, %v; want 1", len(held), err)
	}
	b := openPG(t, dsn, store.Options{Now: now, Dispatcher: true})
	if got, err := b.ClaimDue(ctx, 10, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("a second dispatcher's ClaimDue = %d, %v; want nothing (the claim is live)", len(got), err)
	}
	if err := a.MarkSent(ctx, held[0].Claim(), "m1"); err != nil {
		t.Errorf("MarkSent by the holder: %v", err)
	}
}

// Polls applied while channels subscribe and unsubscribe, on separate
// connections: a channel that unsubscribed never keeps a pending delivery (the
// subscription change locks the feed's row, so a poll applied at the same time
// comes first, or is planned again on the new audience).
func TestPostgresPollsWhileUnsubscribing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	poller := openPG(t, dsn, store.Options{Dispatcher: true})
	commands := openPG(t, dsn, store.Options{})
	f, err := poller.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	policy := feeds.Policy{FloodLimit: 1000}
	if _, err := store.RecordPoll(ctx, poller, f.ID, episodes(1), policy, nil); err != nil {
		t.Fatal(err)
	}
	const rounds = 40
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for n := 2; n <= rounds+1; n++ {
			// Under this churn a poll can be refused as stale more often than
			// RecordPoll plans again (ErrConflict): the poller's next round
			// polls again, as here.
			if _, err := store.RecordPoll(ctx, poller, f.ID, episodes(n), policy, nil); err != nil && !errors.Is(err, store.ErrConflict) {
				t.Errorf("RecordPoll: %v", err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range rounds {
			ch := fmt.Sprintf("c%d", i%4)
			if _, _, err := commands.Subscribe(ctx, store.Subscription{Platform: "console", Channel: ch, FeedID: f.ID, Language: "en"}); err != nil {
				t.Errorf("Subscribe: %v", err)
				return
			}
			if _, err := commands.Unsubscribe(ctx, "console", ch); err != nil {
				t.Errorf("Unsubscribe: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	pending, err := poller.Deliveries(ctx, store.StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	for _, dl := range pending {
		t.Errorf("delivery %s to %s is pending, but the channel unsubscribed", dl.DedupeKey, dl.Subscription.Channel)
	}
}

// A store opened read-only refuses writes with ErrReadOnly.
func TestPostgresReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	if _, err := store.Open(ctx, dsn, store.Options{ReadOnly: true}); !errors.Is(err, store.ErrNeedsUpgrade) {
		t.Errorf("read-only Open of an empty schema = %v, want ErrNeedsUpgrade", err)
	}
	rw := openPG(t, dsn, store.Options{})
	if _, err := rw.EnsureFeed(ctx, "pm", "src"); err != nil {
		t.Fatal(err)
	}
	ro := openPG(t, dsn, store.Options{ReadOnly: true})
	if !ro.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	if _, err := ro.FeedByName(ctx, "pm"); err != nil {
		t.Errorf("FeedByName: %v", err)
	}
	if _, err := ro.EnsureFeed(ctx, "other", "src2"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("EnsureFeed on a read-only store = %v, want ErrReadOnly", err)
	}
}

// A damaged episode row (not JSON) is left out of answers and has an empty
// content hash, so the next poll listing the episode rewrites it, as on SQLite.
func TestPostgresDamagedEpisode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.PostgresURL(t)
	db := openPG(t, dsn, store.Options{})
	f, err := db.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	policy := feeds.Policy{FloodLimit: 3}
	if _, err := store.RecordPoll(ctx, db, f.ID, episodes(3), policy, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.Admin(t, dsn).ExecContext(ctx, `UPDATE episodes SET data = 'not json {' WHERE number = 2`); err != nil {
		t.Fatal(err)
	}
	hashes, err := db.ContentHashes(ctx, f.ID)
	if err != nil || len(hashes) != 3 || hashes["g-2"] != "" || hashes["g-1"] == "" {
		t.Errorf("ContentHashes = %v, %v; want episode 2's empty", hashes, err)
	}
	eps, err := db.Episodes(ctx, f.ID)
	if err != nil || len(eps) != 2 {
		t.Errorf("Episodes = %d, %v; want 2 (the damaged row left out)", len(eps), err)
	}
	if n, err := db.DamagedEpisodes(ctx); err != nil || n != 1 {
		t.Errorf("DamagedEpisodes = %d, %v; want 1", n, err)
	}
	res, err := store.RecordPoll(ctx, db, f.ID, episodes(3), policy, nil)
	if err != nil || len(res.Updated) != 1 {
		t.Errorf("RecordPoll = %+v, %v; want the damaged episode rewritten", res, err)
	}
	if n, err := db.DamagedEpisodes(ctx); err != nil || n != 0 {
		t.Errorf("DamagedEpisodes after the poll = %d, %v; want 0", n, err)
	}
}

// A server that does not answer is named, with ErrUnavailable, and never with
// the URL's password. (No server needed.)
func TestPostgresUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := store.Open(ctx, "postgres://pmbot:hunter2@127.0.0.1:1/pmbot?sslmode=disable&connect_timeout=5", store.Options{})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "postgres://pmbot@127.0.0.1:1/pmbot") {
		t.Errorf("Open of a closed port = %v; want ErrUnavailable naming the server", err)
	}
	for _, dsn := range []string{
		"postgres://pmbot:hunter2@127.0.0.1:1/pmbot?sslmode=disable",
		"postgres://pmbot:hunter2@127.0.0.1:notaport/pmbot",
		"postgresql://pmbot:hunter2@[::1/pmbot",
	} {
		_, err := store.Open(ctx, dsn, store.Options{})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s) = %v; want an error without the password", dsn, err)
		}
	}
	if err := store.CheckDatabase("postgres://pmbot:hunter2@127.0.0.1:notaport/pmbot"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("CheckDatabase(a bad URL) = %v; want an error without the password", err)
	}
	if err := store.CheckDatabase("postgres://pmbot:hunter2@db.example/pmbot?sslmode=require"); err != nil {
		t.Errorf("CheckDatabase(a PostgreSQL URL) = %v, want nil", err)
	}
}

// episodes is a feed listing episodes 1..n, newest first.
func episodes(n int) []feeds.Episode {
	var out []feeds.Episode
	for i := n; i >= 1; i-- {
		out = append(out, feeds.Episode{
			GUID: fmt.Sprintf("g-%d", i), Number: i, Type: feeds.TypeFull, Title: fmt.Sprintf("Episode %d", i),
			Published: time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i),
			AudioURL:  fmt.Sprintf("https://a.example/ep%d.mp3", i),
		})
	}
	return out
}

// A login the server refuses (no such role) and a database it does not have
// are said in words, without the password, by Open and by ProbeDatabase
// (check-config), on the real server.
func TestPostgresLoginRefused(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(storetest.PostgresBase(t))
	if err != nil {
		t.Skipf("PMBOT_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	ctx := context.Background()
	noRole := *base
	noRole.User = url.UserPassword("pmbot_no_such_role", "hunter2")
	noDB := *base
	noDB.User = url.UserPassword(base.User.Username(), "hunter2")
	noDB.Path = "/pmbot_no_such_database"
	for _, tc := range []struct{ name, dsn, want string }{
		{"no such role", noRole.String(), "PostgreSQL refused the login to"},
		{"no such database", noDB.String(), "does not exist on its server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Open(ctx, tc.dsn, store.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Open = %v; want %q, without the password", err, tc.want)
			}
			if _, err := store.ProbeDatabase(ctx, tc.dsn); err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ProbeDatabase = %v; want %q, without the password", err, tc.want)
			}
		})
	}
}
