package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmbot/pmbot/store"
	"github.com/pmbot/pmbot/store/storetest"
)

// TestConformance runs the store conformance suite against SQLite, in memory and
// in a file (WAL, with the dispatcher's lock), each test with a store of its own.
func TestConformance(t *testing.T) {
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
		opts store.Options
	}{
		{"memory", func(*testing.T) string { return store.Memory }, store.Options{}},
		{"file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "pmbot.db") }, store.Options{Dispatcher: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
				opts := tt.opts
				opts.Now = now
				db, err := store.Open(context.Background(), tt.path(t), opts)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			})
		})
	}
}
