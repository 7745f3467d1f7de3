// Package localfile reads the files pmbot is told to read (a configuration, a
// *_FILE secret, a local feed) so that no path can hurt the process: only regular
// files are read, opening never blocks (a FIFO or a device is refused before any
// read), the size is capped, and the context is honoured between chunks.
package localfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Errors Read can be matched against with errors.Is.
var (
	// ErrNotRegular: the path is a directory, FIFO, socket or device.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file holds more than the cap.
	ErrTooLarge = errors.New("file too large")
)

// chunk is how much is read between two looks at the context.
const chunk = 64 << 10

// Read returns the content of the regular file at path, at most max bytes, with
// its FileInfo. Errors are *fs.PathError values wrapping ErrNotRegular,
// ErrTooLarge, the context's error or the system's (fs.ErrNotExist…).
func Read(ctx context.Context, path string, max int64) ([]byte, fs.FileInfo, error) {
	fail := func(err error) ([]byte, fs.FileInfo, error) {
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// Stat first: opening a FIFO for reading blocks until a writer comes.
	info, err := os.Stat(path)
	if err != nil {
		return fail(unwrapPath(err))
	}
	if !info.Mode().IsRegular() {
		return fail(fmt.Errorf("%w (%s)", ErrNotRegular, kind(info.Mode())))
	}
	// The path may have been swapped since the Stat; a non-blocking open and a
	// second look at what was opened close that window.
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return fail(unwrapPath(err))
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return fail(unwrapPath(err))
	}
	if !info.Mode().IsRegular() {
		return fail(fmt.Errorf("%w (%s)", ErrNotRegular, kind(info.Mode())))
	}
	if info.Size() > max {
		return fail(ErrTooLarge)
	}
	b := make([]byte, 0, min(info.Size()+1, max+1))
	buf := make([]byte, chunk)
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, err := f.Read(buf)
		b = append(b, buf[:n]...)
		if int64(len(b)) > max {
			return fail(ErrTooLarge) // it grew while we read
		}
		if errors.Is(err, io.EOF) {
			return b, info, nil
		}
		if err != nil {
			return fail(unwrapPath(err))
		}
	}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// kind names a file mode's type in words for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
