package store

import (
	"maps"
	"slices"
	"testing"
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
