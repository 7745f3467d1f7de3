package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for Admin
)

// PostgresEnv names the variable that gives the tests a PostgreSQL database
// (.ci/run sets it): postgres://USER@HOST:PORT/DATABASE?sslmode=disable.
const PostgresEnv = "PMBOT_TEST_POSTGRES_URL"

// PostgresURL returns the URL of a new, empty PostgreSQL schema for one test, in
// the database PMBOT_TEST_POSTGRES_URL names: the URL sets search_path to it, so
// what a store opened on it creates lands there, and tests run in parallel.
// The schema is dropped when the test ends. The test is skipped when the
// variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresBase(t)
	hold(t)
	schema := "pmbot_test_" + strings.ToLower(rand.Text()[:12])
	admin := Admin(t, base)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, base, schema)
}

// PostgresBase returns PMBOT_TEST_POSTGRES_URL, and skips the test when it is
// unset.
func PostgresBase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set: no PostgreSQL to test against")
	}
	return base
}

// maxSchemas bounds the tests that use PostgreSQL at once, whatever -parallel
// is, so that their connections stay well under the server's max_connections
// (100 by default) when several packages test at once.
const maxSchemas = 12

var (
	slots   = make(chan struct{}, maxSchemas)
	holdMu  sync.Mutex
	holders = make(map[testing.TB]bool)
)

// hold waits for one of the slots of maxSchemas for the test, once per test,
// until it ends.
func hold(t testing.TB) {
	holdMu.Lock()
	held := holders[t]
	holders[t] = true
	holdMu.Unlock()
	if held {
		return
	}
	slots <- struct{}{}
	t.Cleanup(func() {
		<-slots
		holdMu.Lock()
		delete(holders, t)
		holdMu.Unlock()
	})
}

// WithSearchPath returns a PostgreSQL URL (or key=value DSN) with search_path
// set to schema.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Admin opens a plain database/sql connection pool (pgx's driver, $n
// placeholders) to dsn, closed when the test ends: what a test uses to look at
// or tamper with a database behind the store's back.
func Admin(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	return db
}
