package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmbot/pmbot/store"
	"github.com/pmbot/pmbot/store/storetest"
)

// lost reports whether l's Lost channel closes within d.
func lost(l store.Lease, d time.Duration) bool {
	select {
	case <-l.Lost():
		return true
	case <-time.After(d):
		return false
	}
}

// On SQLite the lease is always held: one process dispatches from a file.
func TestLeaseSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pmbot.db"), store.Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	if lost(l, 50*time.Millisecond) {
		t.Fatal("Lost closed on a held lease")
	}
	l.Release()
	l.Release() // twice is fine
	if !lost(l, time.Second) {
		t.Fatal("Lost still open after Release")
	}
	l, err = db.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("AcquireLease again: %v", err)
	}
	db.Close()
	if !lost(l, time.Second) {
		t.Fatal("Lost still open after Close")
	}
	if _, err := db.AcquireLease(ctx, "poller"); err == nil {
		t.Fatal("AcquireLease on a closed store succeeded")
	}
}

// On PostgreSQL one store at a time holds a lease of a schema; releasing it or
// closing the store hands it over, and killing the holder's connection loses it
// (Lost closes) and frees it for another.
func TestLeasePostgres(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	a := openPG(t, dsn, store.Options{Dispatcher: true})
	b := openPG(t, dsn, store.Options{Dispatcher: true})

	la, err := a.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("a: AcquireLease: %v", err)
	}
	if _, err := b.AcquireLease(ctx, "poller"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("b: AcquireLease while a holds it: %v, want ErrLeaseHeld", err)
	}
	if _, err := a.AcquireLease(ctx, "poller"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("a: AcquireLease twice: %v, want ErrLeaseHeld", err)
	}
	other, err := b.AcquireLease(ctx, "digests") // another name is another lease
	if err != nil {
		t.Fatalf("b: AcquireLease of another name: %v", err)
	}
	other.Release()
	if lost(la, 3*store.LeaseCheckInterval/2) {
		t.Fatal("a: Lost closed on a held lease")
	}
	// A store on another schema has leases of its own.
	c := openPG(t, storetest.PostgresURL(t), store.Options{Dispatcher: true})
	if lc, err := c.AcquireLease(ctx, "poller"); err != nil {
		t.Fatalf("another schema: AcquireLease: %v", err)
	} else {
		lc.Release()
	}

	// Release hands it over.
	la.Release()
	if !lost(la, time.Second) {
		t.Fatal("a: Lost still open after Release")
	}
	lb, err := b.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("b: AcquireLease after a released it: %v", err)
	}
	if _, err := a.AcquireLease(ctx, "poller"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("a: AcquireLease while b holds it: %v, want ErrLeaseHeld", err)
	}

	// Closing the store hands it over.
	b.Close()
	if !lost(lb, time.Second) {
		t.Fatal("b: Lost still open after Close")
	}
	la, err = a.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("a: AcquireLease after b closed: %v", err)
	}

	// Killing the holder's session loses the lease at the next check.
	admin := storetest.Admin(t, dsn)
	res, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = 7368034 AND pid <> pg_backend_pid()
		AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())
		AND objid = (hashtext('lease:poller:' || $1)::bigint & 4294967295)::oid`, schemaOf(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d sessions holding the lease, want 1", n)
	}
	if !lost(la, 2*store.LeaseCheckInterval+time.Second) {
		t.Fatal("a: Lost still open after its connection was killed")
	}
	d := openPG(t, dsn, store.Options{Dispatcher: true})
	ld, err := d.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("d: AcquireLease after a's connection died: %v", err)
	}
	ld.Release()
	// a carries on with a new connection: it can take the lease again.
	la, err = a.AcquireLease(ctx, "poller")
	if err != nil {
		t.Fatalf("a: AcquireLease after losing it: %v", err)
	}
	la.Release()
}

// schemaOf returns the search_path a test URL sets.
func schemaOf(t *testing.T, dsn string) string {
	t.Helper()
	var schema string
	if err := storetest.Admin(t, dsn).QueryRowContext(context.Background(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return schema
}

// Replicas counts the processes that joined a schema's replicas, each in a slot
// of its own; one that leaves (or dies with its session) leaves the count, and
// other schemas are not counted. On SQLite it is always 1.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	// count waits for the count to be want: a session that ends releases its
	// locks a moment after the client closed it.
	count := func(t *testing.T, db *store.DB, want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := db.Replicas(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Replicas = %d, want %d", n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pmbot.db"), store.Options{Dispatcher: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		count(t, db, 1)
		l, err := db.JoinReplicas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		count(t, db, 1)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresURL(t)
		var dbs [3]*store.DB
		var joined [3]store.Lease
		for i := range dbs {
			dbs[i] = openPG(t, dsn, store.Options{Dispatcher: true})
			count(t, dbs[i], max(i, 1)) // nobody joined yet counts as one
			l, err := dbs[i].JoinReplicas(ctx)
			if err != nil {
				t.Fatal(err)
			}
			joined[i] = l
		}
		count(t, dbs[0], 3)
		// Another schema's replica is not one of these.
		other := openPG(t, storetest.PostgresURL(t), store.Options{Dispatcher: true})
		if _, err := other.JoinReplicas(ctx); err != nil {
			t.Fatal(err)
		}
		count(t, other, 1)
		count(t, dbs[2], 3)
		joined[1].Release()
		count(t, dbs[0], 2)
		dbs[2].Close()
		count(t, dbs[0], 1)
		// The freed slot is taken again.
		again := openPG(t, dsn, store.Options{Dispatcher: true})
		if _, err := again.JoinReplicas(ctx); err != nil {
			t.Fatal(err)
		}
		count(t, dbs[0], 2)
	})
}
