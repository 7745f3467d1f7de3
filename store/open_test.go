package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

func TestDatabaseFile(t *testing.T) {
	tests := []struct {
		db      string
		want    string
		wantErr string
	}{
		{db: "pmbot.db", want: "pmbot.db"},
		{db: "/var/lib/pmbot/pmbot.db", want: "/var/lib/pmbot/pmbot.db"},
		{db: "odd?name#1%.db", want: "odd?name#1%.db"}, // a path is a path
		{db: Memory, want: Memory},
		{db: "file::memory:", want: Memory},
		{db: "file:pmbot.db", want: "pmbot.db"},
		{db: "file:/x/pmbot.db", want: "/x/pmbot.db"},
		{db: "FILE:/x/pmbot.db", want: "/x/pmbot.db"},
		{db: "file:///x/pmbot.db", want: "/x/pmbot.db"},
		{db: "file://localhost/x/pmbot.db", want: "/x/pmbot.db"},
		{db: "file:my%20bot.db", want: "my bot.db"},
		{db: "sqlite://pmbot.db", want: "pmbot.db"},
		{db: "sqlite:///x/pmbot.db", want: "/x/pmbot.db"},
		{db: "sqlite3://data/pmbot.db", want: "data/pmbot.db"},
		{db: "SQLite3:///x/pmbot.db", want: "/x/pmbot.db"},
		{db: "", wantErr: "the database path is empty"},
		{db: "file:", wantErr: "names no file"},
		{db: "sqlite://", wantErr: "names no file"},
		{db: "file:pmbot.db?mode=ro", wantErr: "has a ?query or #fragment"},
		{db: "file:%zz.db", wantErr: "bad %-escape"},
		{db: "mysql://bot:s3cret@db.example/pmbot", wantErr: `"mysql" databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL`},
	}
	for _, tt := range tests {
		t.Run(tt.db, func(t *testing.T) {
			got, err := databaseFile(tt.db)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("databaseFile(%q) = %q, %v; want an error with %q", tt.db, got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error quotes the password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("databaseFile(%q) = %q, %v; want %q", tt.db, got, err, tt.want)
			}
		})
	}
}

// CheckDatabase refuses, without opening anything, what Open refuses for its
// name alone, in the same words: check-config relies on it. A PostgreSQL URL
// that can be read is accepted (ProbeDatabase connects).
func TestCheckDatabase(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{"mysql://bot:s3cret@db/pmbot", "postgres://bot:s3cret@db:port/pmbot", "sqlite://", "file:x.db?mode=ro", ""} {
		checked := CheckDatabase(db)
		_, opened := Open(ctx, db, Options{})
		if checked == nil || opened == nil || checked.Error() != opened.Error() {
			t.Errorf("CheckDatabase(%q) = %v; Open = %v; want the same refusal", db, checked, opened)
		}
	}
	for _, db := range []string{"postgres://bot:s3cret@db/pmbot", "PostgreSQL://bot:s3cret@db.example:5432/pmbot?sslmode=require"} {
		if err := CheckDatabase(db); err != nil {
			t.Errorf("CheckDatabase(%q) = %v, want nil", db, err)
		}
	}
	path := filepath.Join(t.TempDir(), "pm.db")
	if err := CheckDatabase(path); err != nil {
		t.Errorf("CheckDatabase(a file path) = %v, want nil", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckDatabase created %s (%v)", path, err)
	}
}

// A database from before claim tokens: a claim it left (its process died
// mid-post) is in doubt for the next claim, and the outcomes need the new
// claim's token.
func TestMigrateClaimTokens(t *testing.T) {
	ctx := context.Background()
	path := populated(t) // a delivery claimed for a day
	// As an older pmbot left it: no token, and a claim sets in_doubt.
	editSchema(t, path, `ALTER TABLE deliveries DROP COLUMN claim_token; DELETE FROM schema_migrations WHERE version = 8;
		UPDATE deliveries SET in_doubt = 1 WHERE claimed_until > 0`)
	db, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || !got[0].InDoubt || got[0].ClaimToken == "" {
		t.Fatalf("ClaimDue after the migration = %+v, %v; want the delivery, in doubt, with a token", got, err)
	}
	if err := db.MarkSent(ctx, Claim{ID: got[0].ID}, "m1"); !errors.Is(err, ErrClaimLost) {
		t.Errorf("MarkSent without the token = %v, want ErrClaimLost", err)
	}
	if err := db.MarkSent(ctx, got[0].Claim(), "m1"); err != nil {
		t.Errorf("MarkSent with the claim: %v", err)
	}
}

// --db file:/x used to fail ("file:" added twice, the lock beside a "file:…" path).
func TestOpenDatabaseURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "pm.db")
	tests := []string{"file:" + path, "file://" + path, "sqlite://" + path, "sqlite3://" + path, path}
	for i, db := range tests {
		t.Run(db, func(t *testing.T) {
			d, err := Open(ctx, db, Options{Dispatcher: true})
			if err != nil {
				t.Fatalf("Open(%q): %v", db, err)
			}
			defer d.Close()
			f, err := d.EnsureFeed(ctx, "pm", "src")
			if err != nil {
				t.Fatal(err)
			}
			if f.ID != 1 {
				t.Errorf("Open(%q) #%d: feed id %d, want 1: every form opens the same file", db, i, f.ID)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "pm.db") {
			t.Errorf("Open left %s in the folder, want only pm.db and its companions", e.Name())
		}
	}
}

// A path with the characters a SQLite URI gives a meaning to is still a path.
func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20.db")
	db, _ := openTest(t, path)
	if _, err := db.EnsureFeed(context.Background(), "pm", "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %s: %v", path, err)
	}
}

// The dispatcher lock used to sit beside the path as written, so a symlink or
// another spelling of the path let a second dispatcher in.
func TestDispatcherLockFollowsTheFile(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		other func(t *testing.T, dir string) string // another way to name dir/pm.db
	}{
		{"symlink to the file", func(t *testing.T, dir string) string {
			link := filepath.Join(t.TempDir(), "link.db")
			if err := os.Symlink(filepath.Join(dir, "pm.db"), link); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			return link
		}},
		{"symlink to the folder", func(t *testing.T, dir string) string {
			link := filepath.Join(t.TempDir(), "data")
			if err := os.Symlink(dir, link); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			return filepath.Join(link, "pm.db")
		}},
		{"relative path", func(t *testing.T, dir string) string {
			t.Chdir(dir)
			return "pm.db"
		}},
		{"dot-relative path", func(t *testing.T, dir string) string {
			t.Chdir(dir)
			return "./pm.db"
		}},
		{"path through ..", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "..", filepath.Base(dir), "pm.db")
		}},
		{"file: URL", func(t *testing.T, dir string) string {
			return "file:" + filepath.Join(dir, "pm.db")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := Open(ctx, filepath.Join(dir, "pm.db"), Options{Dispatcher: true})
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			other := tt.other(t, dir)
			if second, err := Open(ctx, other, Options{Dispatcher: true}); !errors.Is(err, ErrLocked) {
				if err == nil {
					second.Close()
				}
				t.Fatalf("a second dispatcher through %s: Open = %v, want ErrLocked", other, err)
			}
			if _, err := first.EnsureFeed(ctx, "pm", "src"); err != nil {
				t.Errorf("the first dispatcher after a refused second: %v", err)
			}
		})
	}
}

// A symlink opened first puts the lock beside the real file too.
func TestDispatcherLockThroughSymlinkFirst(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(filepath.Join(dir, "pm.db"), link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	first, err := Open(ctx, link, Options{Dispatcher: true}) // creates dir/pm.db through the link
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := os.Stat(filepath.Join(dir, "pm.db.lock")); err != nil {
		t.Errorf("no lock beside the real file: %v", err)
	}
	if _, err := Open(ctx, filepath.Join(dir, "pm.db"), Options{Dispatcher: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second dispatcher on the real path: Open = %v, want ErrLocked", err)
	}
}

// writeDamaged returns a database file damaged as named.
func writeDamaged(t *testing.T, kind string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pm.db")
	switch kind {
	case "text file":
		if err := os.WriteFile(path, []byte("PMBOT_DATABASE=/var/lib/pmbot/pmbot.db\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	case "truncated database", "overwritten episodes":
		db, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := db.EnsureFeed(context.Background(), "pm", "src")
		eps := feedOf("a", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
		for i := range eps {
			eps[i].NotesHTML = strings.Repeat("notes that fill pages ", 400)
		}
		if _, err := RecordPoll(context.Background(), db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil); err != nil {
			t.Fatal(err)
		}
		db.Close()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if kind == "truncated database" {
			if err := os.Truncate(path, info.Size()/2); err != nil {
				t.Fatal(err)
			}
			break
		}
		// Garbage over the second half: the episodes' notes, written last, while
		// the schema and the migrations, written first, still read.
		file, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		from := info.Size() / 2 / 4096 * 4096
		garbage := []byte(strings.Repeat("\xff\x00garbage", int(info.Size())/9+1))
		if _, err := file.WriteAt(garbage[:info.Size()-from], from); err != nil {
			t.Fatal(err)
		}
		file.Close()
	}
	return path
}

func TestDamagedDatabaseIsNamed(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"text file", "truncated database", "overwritten episodes"} {
		for _, ro := range []bool{false, true} {
			name := kind
			if ro {
				name += " read-only"
			}
			t.Run(name, func(t *testing.T) {
				path := writeDamaged(t, kind)
				db, err := Open(ctx, path, Options{ReadOnly: ro})
				if kind == "overwritten episodes" {
					// The schema still reads: the damage shows in a query.
					if err != nil {
						t.Fatalf("Open = %v, want the damage found by a query", err)
					}
					defer db.Close()
					_, err = db.Episodes(ctx, 1)
				}
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("err = %v, want ErrDamaged", err)
				}
				want := path + " is not a pmbot database, or is damaged (database disk image is malformed); restore a backup or point --db at another file"
				if kind == "text file" {
					want = path + " is not a pmbot database, or is damaged (file is not a database); restore a backup or point --db at another file"
				}
				if !strings.HasSuffix(err.Error(), want) || !strings.HasPrefix(err.Error(), "store: ") {
					t.Errorf("err = %q, want it to say %q … and what to do", err, want)
				}
			})
		}
	}
}

// A text file used to say only "file is not a database (26)".
func TestNotADatabaseMessage(t *testing.T) {
	path := writeDamaged(t, "text file")
	_, err := Open(context.Background(), path, Options{})
	want := "store: " + path + " is not a pmbot database, or is damaged (file is not a database); restore a backup or point --db at another file"
	if err == nil || err.Error() != want {
		t.Errorf("Open(text file) = %v\nwant %s", err, want)
	}
}

func TestForeignSQLiteDatabaseIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "other.db")
	other, err := openSQLite(path, readWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `CREATE TABLE invoices (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	for _, ro := range []bool{false, true} {
		if _, err := Open(ctx, path, Options{ReadOnly: ro}); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "is not a pmbot database") {
			t.Errorf("Open(another program's database, ReadOnly %v) = %v, want ErrDamaged, not a pmbot database", ro, err)
		}
	}
	other, err = openSQLite(path, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the other database has %d schema entries (%v), want its 1 table alone", n, err)
	}
}

// populated returns a database file with a feed, a subscription, three episodes
// and a claimed delivery, closed.
func populated(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	db, _ := openTest(t, path)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	if _, err := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID}); err != nil {
		t.Fatal(err)
	}
	mustPoll(t, db, f.ID, feedOf("a", 1, 2))
	mustPoll(t, db, f.ID, feedOf("a", 1, 2, 3))
	if got, err := db.ClaimDue(ctx, 10, 24*time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("ClaimDue = %d, %v; want 1", len(got), err)
	}
	db.Close()
	return path
}

func claimed(t *testing.T, path string) int {
	t.Helper()
	db, err := openSQLite(path, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE claimed_until > 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	path := populated(t)
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := db.FeedByName(ctx, "pm")
	if err != nil {
		t.Fatal(err)
	}
	eps, err := db.Latest(ctx, f.ID, 10)
	if err != nil || len(eps) != 3 {
		t.Errorf("Latest = %d episodes, %v; want 3", len(eps), err)
	}
	writes := map[string]func() error{
		"EnsureFeed": func() error { _, err := db.EnsureFeed(ctx, "other", "other-src"); return err },
		"RecordPoll": func() error {
			_, err := RecordPoll(ctx, db, f.ID, feedOf("a", 1, 2, 3, 4), feeds.Policy{FloodLimit: 3}, nil)
			return err
		},
		"SaveFeedState": func() error { return db.SaveFeedState(ctx, f) },
		"MarkSent":      func() error { return db.MarkSent(ctx, Claim{ID: 1, Token: "t"}, "m1") },
	}
	for name, write := range writes {
		err := write()
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path+" is read-only: ") {
			t.Errorf("%s on a read-only database = %v, want ErrReadOnly naming the file", name, err)
		}
	}
	if n := claimed(t, path); n != 1 {
		t.Errorf("after a read-only Open, %d claimed deliveries, want the 1 left as it was", n)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a read-only Open made a lock file (%v)", err)
	}
	// A dispatcher may run beside readers.
	disp, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatalf("a dispatcher beside a read-only reader: %v", err)
	}
	disp.Close()
}

func TestReadOnlyRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T) string
		opts    Options
		wantIs  error
		want    string
	}{
		{
			name:    "with Dispatcher",
			prepare: populated,
			opts:    Options{ReadOnly: true, Dispatcher: true},
			want:    "cannot dispatch",
		},
		{
			name:    "a missing file",
			prepare: func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing.db") },
			opts:    Options{ReadOnly: true},
			wantIs:  fs.ErrNotExist,
			want:    "missing.db does not exist; run pmbot once with write access to create it",
		},
		{
			name: "an empty file",
			prepare: func(t *testing.T) string {
				path := filepath.Join(t.TempDir(), "empty.db")
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			},
			opts:   Options{ReadOnly: true},
			wantIs: ErrNeedsUpgrade,
			want:   "empty.db needs an upgrade (schema version 0; this pmbot needs ",
		},
		{
			name: "an older schema",
			prepare: func(t *testing.T) string {
				path := populated(t)
				editSchema(t, path, `DELETE FROM schema_migrations WHERE version > 1`)
				return path
			},
			opts:   Options{ReadOnly: true},
			wantIs: ErrNeedsUpgrade,
			want:   "needs an upgrade (schema version 1; this pmbot needs ",
		},
		{
			name: "a newer schema, read-only",
			prepare: func(t *testing.T) string {
				path := populated(t)
				editSchema(t, path, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`)
				return path
			},
			opts:   Options{ReadOnly: true},
			wantIs: ErrNewerSchema,
			want:   "was written by a newer pmbot (schema version 9999; this pmbot knows up to ",
		},
		{
			name: "a newer schema, read-write",
			prepare: func(t *testing.T) string {
				path := populated(t)
				editSchema(t, path, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`)
				return path
			},
			wantIs: ErrNewerSchema,
			want:   "upgrade pmbot",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.prepare(t)
			db, err := Open(ctx, path, tt.opts)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded, want a refusal")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
	// A read-only Open of a missing file does not create it.
	missing := filepath.Join(t.TempDir(), "missing.db")
	Open(ctx, missing, Options{ReadOnly: true})
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a read-only Open created %s (%v)", missing, err)
	}
}

func editSchema(t *testing.T, path, query string) {
	t.Helper()
	db, err := openSQLite(path, readWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
}

// skipAsRoot skips a test that needs file permissions to refuse writes.
func skipAsRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("as root, file permissions do not stop writes; run as another user to test this")
	}
}

// A 0444 database used to fail even for reads ("attempt to write a readonly
// database"); read-only, it reads, and a write-enabled Open names the problem.
func TestReadOnlyFile(t *testing.T) {
	skipAsRoot(t)
	ctx := context.Background()
	path := populated(t)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of a 0444 file: %v", err)
	}
	if eps, err := db.Episodes(ctx, 1); err != nil || len(eps) != 3 {
		t.Errorf("Episodes = %d, %v; want 3", len(eps), err)
	}
	db.Close()
	if _, err := Open(ctx, path, Options{Dispatcher: true}); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path+" is read-only") {
		t.Errorf("write-enabled Open of a 0444 file = %v, want ErrReadOnly naming the file", err)
	}
}

// A WAL database in a read-only folder cannot get its -shm file: read-only, it is
// read as immutable.
func TestReadOnlyFolder(t *testing.T) {
	skipAsRoot(t)
	ctx := context.Background()
	path := populated(t)
	dir := filepath.Dir(path)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open in a read-only folder: %v", err)
	}
	defer db.Close()
	if eps, err := db.Episodes(ctx, 1); err != nil || len(eps) != 3 {
		t.Errorf("Episodes = %d, %v; want 3", len(eps), err)
	}
	if _, err := db.EnsureFeed(ctx, "x", "y"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("EnsureFeed = %v, want ErrReadOnly", err)
	}
}

func TestClassifyCodes(t *testing.T) {
	cause := errors.New("sqlite said so")
	const file = "pmbot.db"
	tests := []struct {
		name  string
		code  int
		words string
		is    error // nil: not classified
		want  string
	}{
		{"corrupt", 11, "database disk image is malformed", ErrDamaged,
			"pmbot.db is not a pmbot database, or is damaged (database disk image is malformed); restore a backup or point --db at another file"},
		{"corrupt index", 11 | 3<<8, "database disk image is malformed", ErrDamaged, ""},
		{"not a database", 26, "file is not a database", ErrDamaged,
			"pmbot.db is not a pmbot database, or is damaged (file is not a database); restore a backup or point --db at another file"},
		{"read-only", 8, "attempt to write a readonly database", ErrReadOnly,
			"pmbot.db is read-only: attempt to write a readonly database; pmbot needs write access to the file and its folder for this"},
		{"read-only folder", 1544, "attempt to write a readonly database", ErrReadOnly, ""},
		{"read-only moved", 1032, "attempt to write a readonly database", ErrReadOnly, ""},
		{"full", 13, "database or disk is full", ErrDiskFull,
			"cannot write pmbot.db: the disk is full (or the file system refused the write); free space and start again"},
		{"shm size on a full disk", 4874, "disk I/O error", ErrDiskFull, ""},
		{"read error", 10 | 1<<8, "disk I/O error", ErrDiskIO,
			"pmbot.db: input/output error from the disk (disk I/O error); check the disk, and restore a backup if it keeps failing"},
		{"write error", 10 | 3<<8, "disk I/O error", ErrDiskIO, ""},
		{"fsync error", 10 | 4<<8, "disk I/O error", ErrDiskIO, ""},
		{"generic error", 1, "SQL logic error", nil, ""},
		{"constraint", 19 | 8<<8, "UNIQUE constraint failed", nil, ""},
		{"busy", 5, "database is locked", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyCode(file, tt.code, tt.words, cause)
			if tt.is == nil {
				if err != nil {
					t.Errorf("classifyCode(%d) = %v, want nil (not the admin's to fix)", tt.code, err)
				}
				return
			}
			if !errors.Is(err, tt.is) || !errors.Is(err, cause) {
				t.Errorf("classifyCode(%d) = %v, want %v wrapping the cause", tt.code, err, tt.is)
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("classifyCode(%d) = %q\nwant %q", tt.code, err, tt.want)
			}
		})
	}
}

func TestClassifySystemErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"no space left", &fs.PathError{Op: "write", Path: "pm.db.lock", Err: syscall.ENOSPC}, ErrDiskFull},
		{"read-only file system", &fs.PathError{Op: "open", Path: "pm.db.lock", Err: syscall.EROFS}, ErrReadOnly},
		{"another error", &fs.PathError{Op: "open", Path: "pm.db.lock", Err: syscall.EINVAL}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify("pm.db", tt.err)
			if tt.is == nil {
				if got != tt.err {
					t.Errorf("classify(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if !errors.Is(got, tt.is) || !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v, want %v wrapping it", tt.err, got, tt.is)
			}
		})
	}
}

// SQLite's max_page_count makes a real SQLITE_FULL without filling a disk.
func TestDiskFullIsNamed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	db, _ := openTest(t, path)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	if _, err := db.db.ExecContext(ctx, `PRAGMA max_page_count = 1`); err != nil { // at least the pages in use
		t.Fatal(err)
	}
	eps := feedOf("a", 1, 2, 3)
	for i := range eps {
		eps[i].NotesHTML = strings.Repeat("long notes ", 2000)
	}
	_, err := RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil)
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("RecordPoll on a full database = %v, want ErrDiskFull", err)
	}
	want := "cannot write " + path + ": the disk is full (or the file system refused the write); free space and start again"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q\nwant it to say %q", err, want)
	}
}

func TestNeedsImmutable(t *testing.T) {
	got := map[int]bool{}
	for _, code := range []int{8, 264, 520, 776, 1032, 1288, 1544, 13, 14} {
		got[code] = readOnlyFolder(code)
	}
	want := map[int]bool{8: false, 264: false, 520: false, 776: false, 1032: false, 1288: true, 1544: true, 13: false, 14: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readOnlyFolder (-want +got):\n%s", diff)
	}
}

func TestOpenInAMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "pm.db")
	_, err := Open(context.Background(), path, Options{})
	want := "store: cannot open " + path + " (unable to open database file); check that the file, or its folder for a new database, exists and that pmbot may use it"
	if err == nil || err.Error() != want {
		t.Errorf("Open(missing folder) = %v\nwant %s", err, want)
	}
}
