package store

import "errors"

// ErrDamaged is wrapped by the errors of Open and of queries when the database
// file is not a SQLite database, is not pmbot's, or is damaged (SQLite reports
// SQLITE_CORRUPT or SQLITE_NOTADB).
var ErrDamaged = errors.New("store: damaged database")

// ErrReadOnly is wrapped by the errors of writes refused because the database
// file, or its folder, is read-only (SQLite's SQLITE_READONLY family), or because
// it was opened with Options.ReadOnly.
var ErrReadOnly = errors.New("store: read-only database")

// ErrDiskFull is wrapped by the errors of writes refused because the disk is full
// (SQLITE_FULL, ENOSPC) or the file system refused to grow a file.
var ErrDiskFull = errors.New("store: disk full")

// ErrDiskIO is wrapped by the errors SQLite reports as an input/output error
// from the disk (the SQLITE_IOERR family).
var ErrDiskIO = errors.New("store: disk input/output error")

// ErrNeedsUpgrade is wrapped by the error of a read-only Open whose database has
// an older schema than this pmbot: only a write-enabled Open can migrate it.
var ErrNeedsUpgrade = errors.New("store: the database needs an upgrade")

// ErrNewerSchema is wrapped by the error of Open when the database was migrated
// by a newer pmbot: this one does not know its schema and leaves it alone.
var ErrNewerSchema = errors.New("store: the database was written by a newer pmbot")

// ErrUnavailable is wrapped by the errors of a database server that cannot be
// reached or went away (PostgreSQL: connection refused, no answer, shutting
// down, too many connections).
var ErrUnavailable = errors.New("store: the database server is unavailable")

// fileError is an error about the database file that an admin can act on: its
// message names the file and says what to do; it wraps its kind (ErrDamaged …)
// and SQLite's own error, for errors.Is and errors.As.
type fileError struct {
	kind error // a sentinel, or nil when only the words help
	msg  string
	err  error
}

func (e *fileError) Error() string { return e.msg }

func (e *fileError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.kind, e.err} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
