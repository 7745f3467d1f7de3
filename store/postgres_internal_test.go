package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                                `SELECT 1`,
		`WHERE a = ? AND b IN (?, ?)`:             `WHERE a = $1 AND b IN ($2, $3)`,
		`SET x = '?', y = ? -- why?` + "\n" + `?`: `SET x = '?', y = $1 -- why?` + "\n" + `$2`,
		`SELECT "a?b", ?`:                         `SELECT "a?b", $1`,
		`SELECT 'it''s ?', ?`:                     `SELECT 'it''s ?', $1`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// Both engines' migrations have the same versions, so a schema version means
// the same on each.
func TestMigrationVersionsMatch(t *testing.T) {
	lite, liteLatest, err := migrationVersions(sqliteDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	pg, pgLatest, err := migrationVersions(postgresDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	lv, pv := slices.Sorted(maps.Keys(lite)), slices.Sorted(maps.Keys(pg))
	if liteLatest != pgLatest || !slices.Equal(lv, pv) {
		t.Errorf("SQLite's migrations %v, PostgreSQL's %v: want the same versions", lv, pv)
	}
}

// A transaction PostgreSQL aborted for a conflict with a concurrent one (a
// deadlock, a serialization failure) is run again, a few times; any other
// error is returned at once.
func TestTxRunsAgainAfterAConflict(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	tests := []struct {
		name    string
		fails   []error // what each run returns, then nil
		wantRun int
		wantErr error
	}{
		{"a deadlock, then success", []error{deadlock}, 2, nil},
		{"serialization failures, then success", []error{&pgconn.PgError{Code: "40001"}, &pgconn.PgError{Code: "40001"}}, 3, nil},
		{"conflicts every time", []error{deadlock, deadlock, deadlock, deadlock, deadlock}, txAttempts, deadlock},
		{"another error", []error{ErrConflict}, 1, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := d.tx(ctx, func(*sql.Tx) error {
				runs++
				if runs <= len(tt.fails) {
					return tt.fails[runs-1]
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("tx = %v, want %v", err, tt.wantErr)
			}
			if runs != tt.wantRun {
				t.Errorf("fn ran %d times, want %d", runs, tt.wantRun)
			}
		})
	}
}

// Each PostgreSQL error an admin can act on becomes one line that names the
// database (not its password), says what to do, and carries the sentinel the
// bot acts on; any other error comes back as it is.
func TestClassifyPostgres(t *testing.T) {
	const label = "postgres://pmbot@db:5432/pmbot"
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "the server's words"} }
	tests := []struct {
		name string
		err  error
		kind error // nil: none
		want string
	}{
		{"read-only", pg("25006"), ErrReadOnly, label + " is read-only for pmbot (the server's words); pmbot needs a user and a server that may write for this"},
		{"disk full", pg("53100"), ErrDiskFull, "cannot write " + label + ": the database server's disk is full (the server's words); free space and start again"},
		{"corrupt data", pg("XX001"), ErrDamaged, label + " is damaged (the server's words); restore a backup"},
		{"corrupt index", pg("XX002"), ErrDamaged, label + " is damaged (the server's words); restore a backup"},
		{"bad password", pg("28P01"), nil, "PostgreSQL refused the login to " + label + " (the server's words); check the user and password of the database URL"},
		{"no such role", pg("28000"), nil, "PostgreSQL refused the login to " + label + " (the server's words); check the user and password of the database URL"},
		{"no such database", pg("3D000"), nil, label + " does not exist on its server (the server's words); create it (createdb), or fix the database URL"},
		{"no privilege", pg("42501"), nil, label + ": permission denied (the server's words); pmbot's user needs to own its schema, or be granted its tables"},
		{"too many connections", pg("53300"), ErrUnavailable, "the PostgreSQL server of " + label + " is unavailable (the server's words); pmbot tries again"},
		{"shutting down", pg("57P01"), ErrUnavailable, "the PostgreSQL server of " + label + " is unavailable (the server's words); pmbot tries again"},
		{"connection exception", pg("08006"), ErrUnavailable, "the PostgreSQL server of " + label + " is unavailable (the server's words); pmbot tries again"},
		{"a unique violation", pg("23505"), nil, ""},
		{"a deadlock", pg("40P01"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyPostgres(label, tt.err)
			if tt.want == "" {
				if got != tt.err {
					t.Errorf("classifyPostgres = %v, want the error as it is", got)
				}
				return
			}
			if got.Error() != tt.want {
				t.Errorf("classifyPostgres =\n  %s\nwant\n  %s", got, tt.want)
			}
			if tt.kind != nil && !errors.Is(got, tt.kind) {
				t.Errorf("classifyPostgres = %v, not %v", got, tt.kind)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the server's error is not wrapped")
			}
		})
	}
}
