//go:build unix

package feeds

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/localfile"
)

// TestFetchFileSpecial: a named pipe given as a feed used to block the fetch (and the
// bot's shutdown) until a writer came; a device would stream forever.
func TestFetchFileSpecial(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "feed.xml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	tests := []struct {
		name, path, message string
	}{
		{"named pipe", fifo, "the feed path is not a regular file (a named pipe); give the path of a feed file"},
		{"device", "/dev/zero", "the feed path is not a regular file (a character device); give the path of a feed file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("no %s here: %v", tt.path, err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := testFetcher(FetcherOptions{MaxBody: 1 << 20}).Fetch(context.Background(), FetchState{URL: tt.path})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute): // a hang, not a slow machine
				// Release the blocked open, if that is where it hangs, before failing.
				if w, werr := os.OpenFile(tt.path, os.O_WRONLY|syscall.O_NONBLOCK, 0); werr == nil {
					w.Close()
				}
				t.Fatalf("Fetch(%s) still blocked after a minute", tt.path)
			}
			var fe *FetchError
			if !errors.As(err, &fe) || !errors.Is(err, localfile.ErrNotRegular) {
				t.Fatalf("Fetch error = %v, want a *FetchError matching localfile.ErrNotRegular", err)
			}
			if diff := cmp.Diff(tt.message, fe.UserMessage()); diff != "" {
				t.Errorf("UserMessage (-want +got):\n%s", diff)
			}
		})
	}
}
