// Package store keeps what the bot knows: feeds and their fetch state, every episode
// with its identity aliases, subscriptions, and the outbox of deliveries. SQLite is
// the embedded default.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pmbot/pmbot/feeds"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when the asked-for row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrLocked is returned by Open with Options.Dispatcher when another process
// dispatches from the same SQLite database.
var ErrLocked = errors.New("the database is in use by another pmbot process (run, or poll --once)")

// DB is the bot's database.
type DB struct {
	db    *sql.DB
	now   func() time.Time
	lock  *os.File
	match TopicMatcher
}

// TopicMatcher says whether an episode matches any of a subscription's topics.
type TopicMatcher func(ep feeds.Episode, topics []string) bool

// Options tune Open.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Dispatcher says this process will post deliveries. With SQLite only one such
	// process may use a database: Open takes a lock beside the file, and then knows
	// that claims left by an earlier process are stale (it was killed mid-post) and
	// releases them, so its deliveries go out now rather than when their lease ends.
	Dispatcher bool
	// TopicMatch filters the announcements of subscriptions with topics; when nil,
	// topics filter nothing.
	TopicMatch TopicMatcher
}

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// Open opens (creating if needed) the SQLite database at path, or an in-memory one
// for Memory, and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		return nil, fmt.Errorf("store: open: PostgreSQL is not supported yet; use a SQLite file path")
	}
	dsn, err := sqliteDSN(path)
	if err != nil {
		return nil, err
	}
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// SQLite has one writer; a single connection serialises writes in the process
	// and keeps an in-memory database alive and shared.
	sqldb.SetMaxOpenConns(1)
	if path == Memory {
		sqldb.SetConnMaxIdleTime(0)
		sqldb.SetConnMaxLifetime(0)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &DB{db: sqldb, now: opts.Now, match: opts.TopicMatch}
	if opts.Dispatcher && path != Memory {
		if d.lock, err = lockFile(path + ".lock"); err != nil {
			sqldb.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if opts.Dispatcher {
		if _, err := d.db.ExecContext(ctx, `UPDATE deliveries SET claimed_until = 0 WHERE status = 'pending' AND claimed_until > 0`); err != nil {
			d.Close()
			return nil, fmt.Errorf("store: open %s: release stale claims: %w", path, err)
		}
	}
	return d, nil
}

func sqliteDSN(path string) (string, error) {
	if path == "" {
		return "", errors.New("store: open: empty database path")
	}
	params := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		params.Add("_pragma", p)
	}
	params.Set("_txlock", "immediate")
	if path == Memory {
		return "file::memory:?" + params.Encode(), nil
	}
	params.Add("_pragma", "journal_mode(WAL)")
	return "file:" + path + "?" + params.Encode(), nil
}

// Close closes the database and releases its lock.
func (d *DB) Close() error {
	err := d.db.Close()
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", name)
		}
		err = d.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, d.now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// tx runs fn in a transaction, committing when it returns nil.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
