package main

import (
	"os"
	"syscall"
	"testing"
)

// smallPipe returns a pipe that holds one page: a writer more than a page ahead
// of its reader blocks, so a test that kills a process after reading a line
// knows the process did not run far past it, however loaded the machine.
func smallPipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 4096); errno != 0 {
		t.Logf("pipe size not set: %v", errno)
	}
	return r, w
}
