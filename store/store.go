// Package store keeps what the bot knows: feeds and their fetch state, every episode
// with its identity aliases, subscriptions, and the outbox of deliveries.
//
// Store is what the rest of pmbot needs from a store, whatever its engine; *DB is
// the one Open returns, on SQLite (embedded, the default) or on PostgreSQL (a
// postgres:// URL), and the conformance suite in storetest holds both to the same
// behaviour. The rules (episode identity, no floods, backlog settling) are plain
// code in plan.go, shared by every engine; the SQL and database/sql code is shared
// too, and what only one engine does is in sqlite.go or postgres.go (a dialect
// each).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed migrations/*.sql migrations_pg/*.sql
var migrations embed.FS

// ErrNotFound is returned when the asked-for row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrLocked is returned by Open with Options.Dispatcher when another process
// dispatches from the same SQLite database.
var ErrLocked = errors.New("the database is in use by another pmbot process (run, or poll --once)")

// DB is the bot's database.
type DB struct {
	db     *sql.DB
	file   string // the database file as the admin named it, for messages
	now    func() time.Time
	lock   *os.File
	logger *slog.Logger
	// sql is the SQL that differs between engines: SQLite's.
	sql dialect

	// readOnly: opened with Options.ReadOnly; every write fails.
	readOnly bool

	mu sync.Mutex
	// damaged holds the episode rows found not to decode, so each is logged once
	// and the next poll that lists the episode rewrites it.
	damaged map[int64]bool
	// leases are the leases held (AcquireLease), released by Close; closed:
	// Close was called, and no lease is handed out any more.
	leases map[*lease]bool
	closed bool
	// stmts are the statements kept prepared (see prepared).
	stmts map[string]*sql.Stmt
}

// ReadOnly reports whether the database was opened with Options.ReadOnly.
func (d *DB) ReadOnly() bool { return d.readOnly }

// Options tune Open.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Dispatcher says this process will post deliveries. With SQLite only one such
	// process may use a database: Open takes a lock beside the file (the file the
	// path resolves to, so a symlink or another spelling of the path shares it),
	// and then knows that claims left by an earlier process are stale (it was
	// killed mid-post) and releases them, so its deliveries go out now rather than
	// when their lease ends. It cannot be set with ReadOnly. On PostgreSQL it
	// takes no lock and releases nothing: the claims another process holds there
	// are live, and a dead process's come back when their lease ends.
	Dispatcher bool
	// ReadOnly opens an existing database for reading only (SQLite's mode=ro;
	// PostgreSQL's read-only transactions), so commands that only read work on
	// a read-only file or folder. Open then
	// migrates nothing (a database with an older or newer schema is refused with
	// ErrNeedsUpgrade or ErrNewerSchema), releases no claim and takes no lock, and
	// every write fails with ErrReadOnly. A WAL database in a folder pmbot cannot
	// write, with no -shm file beside it, is read as immutable: what a running bot
	// has not yet checkpointed is not seen. Ignored for Memory.
	ReadOnly bool
	// Logger is told, once per row, about episode rows that cannot be decoded
	// and are left out of answers; nil discards it.
	Logger *slog.Logger

	// probe: ProbeDatabase's read-only open, which reads the schema version
	// itself rather than refusing one that is not this pmbot's.
	probe bool
}

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// Open opens the SQLite database at path, or an in-memory one for Memory. path is
// a file path, or a file:PATH, file://PATH, sqlite://PATH or sqlite3://PATH URL
// of one (PATH relative unless it starts with /). Without ReadOnly it creates the
// file if needed and brings its schema up to date.
//
// A postgres:// or postgresql:// URL opens that PostgreSQL database instead (its
// tables in the first schema of its search_path, public by default), migrated
// under an advisory lock; Dispatcher takes no lock there and releases no claim,
// since replicas may share the database.
//
// The errors name the file (or the database, without its password) and say what
// to do: ErrDamaged (not a pmbot database, or damaged), ErrReadOnly, ErrDiskFull,
// ErrDiskIO, ErrNeedsUpgrade, ErrNewerSchema, ErrLocked, ErrUnavailable.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if isPostgres(path) {
		return openPostgres(ctx, path, opts, logger)
	}
	file, err := databaseFile(path)
	if err != nil {
		return nil, err
	}
	if file == Memory {
		opts.ReadOnly = false // a private, empty database: nothing to protect
	}
	if opts.ReadOnly && opts.Dispatcher {
		return nil, fmt.Errorf("store: open %s: a database opened read-only cannot dispatch deliveries", file)
	}
	d := &DB{file: file, now: opts.Now, logger: logger, sql: sqliteDialect, damaged: make(map[int64]bool), readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		if err := d.openReadOnly(ctx); err != nil {
			return nil, err
		}
		return d, nil
	}
	if d.db, err = openSQLite(file, readWrite); err != nil {
		return nil, openError(file, err)
	}
	// Connecting creates the file, so the lock below can resolve its real path,
	// and a file that is not a database is named as such before anything else.
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, openError(file, err)
	}
	if opts.Dispatcher && file != Memory {
		if d.lock, err = lockDatabase(file); err != nil {
			d.db.Close()
			return nil, openError(file, err)
		}
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, openError(file, err)
	}
	if err := d.fillCards(ctx); err != nil {
		d.Close()
		return nil, openError(file, err)
	}
	if opts.Dispatcher {
		if _, err := d.db.ExecContext(ctx, `UPDATE deliveries SET claimed_until = 0 WHERE status = 'pending' AND claimed_until > 0`); err != nil {
			d.Close()
			return nil, openError(file, fmt.Errorf("release stale claims: %w", err))
		}
	}
	return d, nil
}

// openReadOnly opens an existing database with SQLite's mode=ro, and as immutable
// when that fails because the folder is read-only (see Options.ReadOnly), then
// checks that its schema is this pmbot's.
func (d *DB) openReadOnly(ctx context.Context) error {
	if _, err := os.Stat(d.file); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %s does not exist; run pmbot once with write access to create it: %w", d.file, err)
	}
	var err error
	for _, mode := range []accessMode{readOnly, immutable} {
		if d.db, err = openSQLite(d.file, mode); err != nil {
			return openError(d.file, err)
		}
		err = d.checkSchema(ctx)
		if err == nil {
			return nil
		}
		d.db.Close()
		if !needsImmutable(err) {
			break
		}
	}
	return openError(d.file, err)
}

// openError is an error of Open: the words of classify when it has some (they
// name the file already), else the error with the file.
func openError(file string, err error) error {
	var fe *fileError
	if errors.As(classify(file, err), &fe) {
		return fmt.Errorf("store: %w", fe)
	}
	return fmt.Errorf("store: open %s: %w", file, err)
}

// lockDatabase takes the dispatcher lock of the database file.
//
// The lock is a file beside the file the path resolves to (absolute, symlinks
// followed), so pmbot.db, ./pmbot.db, /abs/pmbot.db and a symlink to it share
// one lock. Locking the database file itself would also cover hard links, but
// SQLite uses POSIX record locks, which the kernel drops when the process closes
// any descriptor of the file: closing our own (at Close, or after a failed second
// Open in the same process) would silently strip SQLite's locks; and on BSD and
// macOS flock and fcntl locks may interact. Hard links are left out: SQLite names
// its -wal and -shm files after the path, so one database used under two names is
// unsafe whatever we lock.
func lockDatabase(file string) (*os.File, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := lockFile(real + ".lock")
	if errors.Is(err, fs.ErrPermission) {
		return nil, &fileError{kind: ErrReadOnly, err: err,
			msg: fmt.Sprintf("%s is read-only: cannot create its lock file %s.lock (permission denied); pmbot needs write access to the database's folder", file, real)}
	}
	return f, err
}

// CheckDatabase says whether Open accepts the database a --db value or the
// configuration's database names, without opening it: nil for a SQLite path or
// URL and for a PostgreSQL URL that can be read, else the error Open would
// return (an unknown scheme, a SQLite URL with a query …). check-config asks it,
// so that it never says "config OK" for a database that Open refuses for its
// name alone; ProbeDatabase connects.
func CheckDatabase(db string) error {
	if isPostgres(db) {
		_, err := parsePostgres(db)
		return err
	}
	_, err := databaseFile(db)
	return err
}

// databaseFile returns the file path of a --db value: a path as it is, or the
// path of a file:, sqlite:// or sqlite3:// URL (which the configuration accepts).
// A URL's query is refused rather than passed to SQLite: pmbot sets SQLite's
// options itself. The value is never quoted whole: a URL can carry a password.
func databaseFile(db string) (string, error) {
	if db == "" {
		return "", errors.New("store: open: the database path is empty; give a file path such as pmbot.db")
	}
	rest, isURL := "", false
	if scheme, after, ok := strings.Cut(db, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		switch strings.ToLower(scheme) {
		case "file", "sqlite", "sqlite3":
			rest, isURL = after, true
			// file://localhost/x is /x (RFC 8089); otherwise what follows :// is the
			// path, relative unless it starts with /, as sqlite3://pmbot.db means.
			if after, ok := strings.CutPrefix(rest, "localhost/"); ok {
				rest = "/" + after
			}
		default:
			return "", fmt.Errorf("store: open: %q databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL", scheme)
		}
	} else if len(db) >= len("file:") && strings.EqualFold(db[:len("file:")], "file:") {
		rest, isURL = db[len("file:"):], true
	}
	if !isURL {
		return db, nil
	}
	if strings.ContainsAny(rest, "?#") {
		return "", fmt.Errorf("store: open: the database URL has a ?query or #fragment; give only the file, as file:PATH or a plain path (pmbot sets SQLite's options itself)")
	}
	path, err := url.PathUnescape(rest)
	if err != nil {
		return "", fmt.Errorf("store: open: the database URL has a bad %%-escape; give the file as a plain path")
	}
	if path == "" {
		return "", errors.New("store: open: the database URL names no file; give a file path such as pmbot.db")
	}
	return path, nil
}

// Close releases the leases the store holds, then closes the database and
// releases its lock.
func (d *DB) Close() error {
	d.releaseLeases()
	d.mu.Lock()
	for _, st := range d.stmts {
		st.Close()
	}
	d.stmts = nil
	d.mu.Unlock()
	err := d.db.Close()
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

// prepared returns query prepared once for the DB's life: for the statements
// a search makes on every answer, where parsing the SQL each time was a fifth
// of their cost.
func (d *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.stmts[query]; ok {
		return st, nil
	}
	st, err := d.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if d.stmts == nil {
		d.stmts = make(map[string]*sql.Stmt)
	}
	d.stmts[query] = st
	return st, nil
}

// migrationVersions returns the embedded migrations of an engine (its folder)
// by version.
func migrationVersions(dir string) (map[int]string, int, error) {
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return nil, 0, err
	}
	out := make(map[int]string, len(names))
	latest := 0
	for _, name := range names {
		base := strings.TrimPrefix(name, dir+"/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, 0, fmt.Errorf("bad migration name %s", name)
		}
		out[version] = name
		latest = max(latest, version)
	}
	return out, latest, nil
}

// appliedVersions returns the migrations applied to the database; fresh is true
// for a database with no table at all. A database with tables but no migration
// table is not pmbot's, and is refused rather than written into.
func (d *DB) appliedVersions(ctx context.Context, q querier) (applied map[int]bool, fresh bool, err error) {
	var tables, hasMigrations int
	err = q.QueryRowContext(ctx, d.sql.countTables).Scan(&tables, &hasMigrations)
	if err != nil {
		return nil, false, err
	}
	if tables == 0 {
		return nil, true, nil
	}
	if hasMigrations == 0 {
		return nil, false, &fileError{kind: ErrDamaged,
			msg: fmt.Sprintf("%s is not a pmbot database (it holds other tables); %s", d.file, d.sql.elsewhere)}
	}
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	applied = make(map[int]bool)
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, false, err
		}
		applied[v] = true
	}
	return applied, false, rows.Err()
}

// checkSchema refuses a database whose schema is not exactly this pmbot's: what
// a read-only Open needs, since it cannot migrate.
func (d *DB) checkSchema(ctx context.Context) error {
	known, latest, err := migrationVersions(d.sql.migrations)
	if err != nil {
		return err
	}
	applied, _, err := d.appliedVersions(ctx, d.db)
	if err != nil {
		return err
	}
	if err := d.newerSchema(applied, latest); err != nil {
		return err
	}
	for v := range known {
		if !applied[v] {
			return &fileError{kind: ErrNeedsUpgrade,
				msg: fmt.Sprintf("the database %s needs an upgrade (schema version %d; this pmbot needs %d): run pmbot once with write access", d.file, maxVersion(applied), latest)}
		}
	}
	return nil
}

// newerSchema refuses a database migrated by a newer pmbot: this one would not
// know what the new tables and columns mean, and could lose what they hold.
func (d *DB) newerSchema(applied map[int]bool, latest int) error {
	if v := maxVersion(applied); v > latest {
		return &fileError{kind: ErrNewerSchema,
			msg: fmt.Sprintf("the database %s was written by a newer pmbot (schema version %d; this pmbot knows up to %d): upgrade pmbot, or %s", d.file, v, latest, d.sql.elsewhere)}
	}
	return nil
}

func maxVersion(applied map[int]bool) int {
	v := 0
	for a := range applied {
		v = max(v, a)
	}
	return v
}

func (d *DB) migrate(ctx context.Context) error {
	known, latest, err := migrationVersions(d.sql.migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, fresh, err := d.appliedVersions(ctx, d.db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := d.newerSchema(applied, latest); err != nil {
		return err
	}
	if fresh {
		if _, err := d.db.ExecContext(ctx, d.sql.createMigrations); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	versions := make([]int, 0, len(known))
	for v := range known {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	for _, version := range versions {
		if applied[version] {
			continue
		}
		name := known[version]
		base := strings.TrimPrefix(name, d.sql.migrations+"/")
		err = d.tx(ctx, func(tx *sql.Tx) error {
			// Another process may have applied it since we looked.
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

// querier runs queries: the database, or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txAttempts bounds how many times tx runs a transaction that PostgreSQL
// aborted for a conflict with another's (a deadlock, a serialization failure).
const txAttempts = 4

// tx runs fn in a transaction, committing when it returns nil. A transaction
// aborted by a conflict with a concurrent one (replicas on PostgreSQL) is run
// again from the start, a few times, after a short random pause: fn must set
// what it returns afresh on each run.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.txOnce(ctx, fn)
		if err == nil || attempt == txAttempts || !isConflict(err) {
			return err
		}
		d.logger.Debug("transaction aborted by a concurrent one; running it again", "attempt", attempt, "err", err)
		pause := time.NewTimer(time.Duration(attempt) * time.Duration(5+mrand.IntN(20)) * time.Millisecond)
		select {
		case <-ctx.Done():
			pause.Stop()
			return err
		case <-pause.C:
		}
	}
}

func (d *DB) txOnce(ctx context.Context, fn func(*sql.Tx) error) error {
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
