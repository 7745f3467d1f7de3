package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file holds what only SQLite does: its SQL where engines differ, how a
// database file is opened (DSN, PRAGMAs, one connection), and how SQLite's
// errors read. postgres.go is its PostgreSQL twin; the rest of the SQL
// (upserts with ON CONFLICT … DO NOTHING / DO UPDATE … excluded, RETURNING
// instead of LastInsertId) is written so that both engines run it. Queries use
// ? placeholders: PostgreSQL's connections rewrite them to $1 … (postgres.go),
// as conn.go wraps SQLite's to word its errors.

// dialect is the SQL that differs between engines.
type dialect struct {
	// name is the engine's, for messages; migrations is the folder of its
	// migrations (the same versions for every engine).
	name       string
	migrations string
	// greatest is the function that returns the larger of its arguments.
	greatest string
	// claimLock ends the subquery that picks the deliveries ClaimDue claims:
	// nothing where one writer runs at a time, " FOR UPDATE SKIP LOCKED" where
	// claims run side by side.
	claimLock string
	// lockFeedRow ends a SELECT of feed rows that a subscription change locks,
	// so that a poll's plan applied at the same time sees the change (and is
	// refused as stale) or comes first: nothing where one writer runs at a time,
	// " FOR UPDATE" where writers run side by side.
	lockFeedRow string
	// lockFeedNames, when not empty, is run first by EnsureFeed so that one
	// runs at a time where writers run side by side.
	lockFeedNames string
	// hashUnlessDamaged selects an episode's content hash, or an empty one when
	// its data is not even JSON (rows that are JSON but do not decode are known
	// from noteDamaged).
	hashUnlessDamaged string
	// countTables counts the database's tables, and among them the migrations'
	// table (0 or 1).
	countTables string
	// createMigrations creates the migrations' table.
	createMigrations string
	// elsewhere says how to point pmbot at another database.
	elsewhere string
	// renewAfterBulk: a connection that wrote a large transaction (a saved
	// search index) is closed, for a fresh one: SQLite's memory grew for the
	// write and stays with the connection.
	renewAfterBulk bool
}

// sqliteDialect is SQLite's SQL.
var sqliteDialect = dialect{
	name:              "SQLite",
	migrations:        "migrations",
	greatest:          "MAX",
	claimLock:         "", // one writer at a time: the claim is already atomic
	lockFeedRow:       "", // likewise
	hashUnlessDamaged: `CASE WHEN json_valid(data) THEN hash ELSE '' END`,
	countTables:       `SELECT COUNT(*), COALESCE(SUM(name = 'schema_migrations'), 0) FROM sqlite_master WHERE type = 'table'`,
	createMigrations:  `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
	elsewhere:         "point --db at another file",
	renewAfterBulk:    true,
}

// accessMode is how SQLite opens the file.
type accessMode int

const (
	readWrite accessMode = iota
	readOnly             // mode=ro: reads, and sees what a writer commits
	immutable            // mode=ro&immutable=1: no -wal, -shm or locks at all
)

func openSQLite(file string, mode accessMode) (*sql.DB, error) {
	c, err := sqlite.NewConnector(sqliteDSN(file, mode))
	if err != nil {
		return nil, err
	}
	sqldb := sql.OpenDB(connector{Connector: c, file: file})
	// SQLite has one writer; a single connection serialises writes in the process
	// and keeps an in-memory database alive and shared.
	sqldb.SetMaxOpenConns(1)
	if file == Memory {
		sqldb.SetConnMaxIdleTime(0)
		sqldb.SetConnMaxLifetime(0)
	}
	return sqldb, nil
}

// sqliteDSN is the modernc.org/sqlite DSN of a database file: a SQLite URI whose
// path escapes the characters a URI gives a meaning to.
func sqliteDSN(file string, mode accessMode) string {
	params := url.Values{}
	// cache_size: 1 MiB of pages rather than SQLite's 2 MiB. Start-up reads
	// every episode for the search index and left the cache full for the
	// bot's idle life; the system's file cache holds the pages all the same,
	// and a search reads no slower (BENCHMARKS.md, issue 11).
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-1024)"} {
		params.Add("_pragma", p)
	}
	params.Set("_txlock", "immediate")
	if file == Memory {
		return "file::memory:?" + params.Encode()
	}
	switch mode {
	case readWrite:
		params.Add("_pragma", "journal_mode(WAL)")
	case readOnly:
		params.Set("mode", "ro")
	case immutable:
		params.Set("mode", "ro")
		params.Set("immutable", "1")
	}
	path := uriEscaper.Replace(file)
	if strings.HasPrefix(path, "//") {
		// file://x/… would name a host; file:// with an empty host keeps the path.
		path = "//" + path
	}
	return "file:" + path + "?" + params.Encode()
}

// uriEscaper escapes what a SQLite URI path cannot hold as is.
var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// codeSuffix is the " (4874)" modernc appends to SQLite's words; the admin
// needs the words, and the code stays in the wrapped error.
var codeSuffix = regexp.MustCompile(` \(\d+\)$`)

// classify turns an error the admin can act on (a damaged file, a read-only file
// or folder, a full or failing disk) into one that names the file and says what
// to do. Any other error comes back as it is. It is the one place that reads
// SQLite's result codes, so every query says these things the same way.
func classify(file string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		if e := classifyCode(file, se.Code(), codeSuffix.ReplaceAllString(se.Error(), ""), err); e != nil {
			return e
		}
		return err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return diskFull(file, err)
	case errors.Is(err, syscall.EROFS):
		return &fileError{kind: ErrReadOnly, msg: fmt.Sprintf("%s is on a read-only file system: %v", file, err), err: err}
	}
	return err
}

// classifyCode is classify for one SQLite result code (extended codes included)
// and its words; nil means the code is not one the admin can act on.
func classifyCode(file string, code int, words string, err error) error {
	switch primary := code & 0xff; {
	case primary == sqlite3.SQLITE_CORRUPT || primary == sqlite3.SQLITE_NOTADB:
		return &fileError{kind: ErrDamaged, err: err,
			msg: fmt.Sprintf("%s is not a pmbot database, or is damaged (%s); restore a backup or point --db at another file", file, words)}
	case primary == sqlite3.SQLITE_READONLY:
		return &fileError{kind: ErrReadOnly, err: err,
			msg: fmt.Sprintf("%s is read-only: %s; pmbot needs write access to the file and its folder for this", file, words)}
	case primary == sqlite3.SQLITE_FULL, code == sqlite3.SQLITE_IOERR_SHMSIZE:
		// SHMSIZE is SQLite failing to grow the -shm file beside the database,
		// which on a full disk is the first write to fail (at Open).
		return diskFull(file, err)
	case primary == sqlite3.SQLITE_IOERR:
		return &fileError{kind: ErrDiskIO, err: err,
			msg: fmt.Sprintf("%s: input/output error from the disk (%s); check the disk, and restore a backup if it keeps failing", file, words)}
	case primary == sqlite3.SQLITE_CANTOPEN:
		return &fileError{err: err,
			msg: fmt.Sprintf("cannot open %s (%s); check that the file, or its folder for a new database, exists and that pmbot may use it", file, words)}
	}
	return nil
}

func diskFull(file string, err error) error {
	return &fileError{kind: ErrDiskFull, err: err,
		msg: fmt.Sprintf("cannot write %s: the disk is full (or the file system refused the write); free space and start again", file)}
}

// needsImmutable says whether a read-only open failed only because SQLite could
// not create the -wal or -shm file beside a WAL database, the folder being
// read-only; opening it as immutable then reads it without them.
func needsImmutable(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return readOnlyFolder(se.Code())
}

func readOnlyFolder(code int) bool {
	return code == sqlite3.SQLITE_READONLY_DIRECTORY || code == sqlite3.SQLITE_READONLY_CANTINIT
}
