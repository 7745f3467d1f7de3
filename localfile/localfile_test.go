package localfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(regular, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		path    string
		max     int64
		want    string
		wantErr error
	}{
		{"regular", context.Background(), regular, 10, "hello", nil},
		{"exactly the cap", context.Background(), regular, 5, "hello", nil},
		{"symlink to regular", context.Background(), link, 10, "hello", nil},
		{"over the cap", context.Background(), regular, 4, "", ErrTooLarge},
		{"fifo never blocks", context.Background(), fifo, 10, "", ErrNotRegular},
		{"directory", context.Background(), dir, 10, "", ErrNotRegular},
		{"endless device", context.Background(), "/dev/zero", 10, "", ErrNotRegular},
		{"missing", context.Background(), filepath.Join(dir, "nope"), 10, "", fs.ErrNotExist},
		{"cancelled", cancelled, regular, 10, "", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Read(tt.ctx, tt.path, tt.max)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Read error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Read content (-want +got):\n%s", diff)
			}
		})
	}
}
