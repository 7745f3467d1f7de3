//go:build unix

package localfile

import "syscall"

// openFlags makes open return at once on a FIFO instead of waiting for a writer.
const openFlags = syscall.O_NONBLOCK
