//go:build !linux

package main

import (
	"os"
	"testing"
)

// smallPipe returns a pipe (of the system's size: only Linux lets it shrink).
func smallPipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}
