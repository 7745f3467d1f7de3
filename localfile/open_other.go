//go:build !unix

package localfile

const openFlags = 0
