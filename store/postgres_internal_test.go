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
