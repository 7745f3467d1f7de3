//go:build unix

package config

import (
	"syscall"
	"testing"
)

// mkfifo makes a named pipe at path: reading one blocks until a writer comes.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipe here: %v", err)
	}
}
