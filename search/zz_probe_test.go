package search

import (
	"fmt"
	"testing"
	"time"
)

func TestZZSnap(t *testing.T) {
	ix := NewIndex()
	ix.Add(corpus(t, 10000)...)
	snap := ix.Snapshot()
	fmt.Println("header MiB", float64(len(snap.Header))/(1<<20))
	for range 5 {
		t0 := time.Now()
		x, err := LoadSnapshot(snap.Header, func(stem bool, id uint32) ([]byte, error) {
			if stem { return snap.Stems[id], nil }
			return snap.Words[id], nil
		})
		if err != nil { t.Fatal(err) }
		t1 := time.Now()
		x.Search("nintendo", 10)
		fmt.Println("load", t1.Sub(t0), "search", time.Since(t1))
	}
}
