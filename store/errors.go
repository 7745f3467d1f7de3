package store

import (
	"errors"
	"fmt"
	"regexp"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

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
