package search

import (
	"testing"

	"github.com/pmbot/pmbot/search/searchtest"
)

func TestMRR(t *testing.T) {
	for _, name := range searchtest.JudgmentFiles {
		t.Run(name, func(t *testing.T) {
			ix, _ := postMortem(t)
			mrr := searchtest.MRR(t, name, func(q string) []int { return numbers(ix.Search(q, 10)) })
			t.Logf("MRR %.3f", mrr)
			if mrr < 0.95 {
				t.Errorf("MRR on %s = %.3f, want >= 0.95", name, mrr)
			}
		})
	}
}
