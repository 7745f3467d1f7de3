// Package feedstest gives tests the repository's feed fixtures, wherever the test's
// package sits in the tree.
package feedstest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pmbot/pmbot/feeds"
)

// Path returns the path of a file under the repository's testdata folder, e.g.
// Path("postmortem/feed.xml").
func Path(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", filepath.FromSlash(name))
}

// Read returns the bytes of a testdata file, failing the test if it cannot.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(Path(name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Parse parses a testdata feed, failing the test if it cannot.
func Parse(t testing.TB, name string) *feeds.Feed {
	t.Helper()
	feed, err := feeds.ParseBytes(Read(t, name), feeds.ParseOptions{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return feed
}

// PostMortem parses the Post Mortem feed with HTML show notes.
func PostMortem(t testing.TB) *feeds.Feed { return Parse(t, "postmortem/feed.xml") }
