package search

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

func BenchmarkProbe(b *testing.B) {
	ix := NewIndex()
	ix.Add(corpus(b, benchDocs)...)
	ix.prepare()
	fmt.Println("words", len(ix.wordStr), "stems", len(ix.stemStr))
	for _, kind := range []string{"plain", "typo", "prefix", "multiword", "number"} {
		for _, q := range benchQueries[kind] {
			var ts []time.Duration
			for range 30 {
				st := time.Now()
				ix.Search(q, 10)
				ts = append(ts, time.Since(st))
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
			rs := ix.Search(q, 10)
			fmt.Printf("%-10s %-30q med %5dµs max %5dµs n=%d\n", kind, q, ts[15].Microseconds(), ts[29].Microseconds(), len(rs))
		}
	}
}
