package search

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pmbot/pmbot/feeds/feedstest"
)

// judgment is one line of a judgments file: a query and the episode numbers that
// answer it.
type judgment struct {
	query    string
	relevant []int
}

func readJudgments(t *testing.T, name string) []judgment {
	t.Helper()
	f, err := os.Open(feedstest.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []judgment
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// Comments start with "# "; "#17" is a query.
		if line == "#" || strings.HasPrefix(line, "# ") || strings.TrimSpace(line) == "" {
			continue
		}
		q, nums, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", name, line)
		}
		j := judgment{query: q}
		for _, n := range strings.Split(nums, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				t.Fatalf("%s: bad line %q", name, line)
			}
			j.relevant = append(j.relevant, v)
		}
		out = append(out, j)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// meanReciprocalRank is the mean over queries of 1/rank of the first relevant
// episode in the top 10 (0 when none is there); it logs every query's rank.
func meanReciprocalRank(t *testing.T, name string) float64 {
	ix, _ := postMortem(t)
	js := readJudgments(t, name)
	var sum float64
	for _, j := range js {
		rs := ix.Search(j.query, 10)
		rank := 0
		for i, r := range rs {
			for _, n := range j.relevant {
				if r.Number == n && rank == 0 {
					rank = i + 1
				}
			}
		}
		if rank > 0 {
			sum += 1 / float64(rank)
		}
		t.Logf("%-28q rank %d (want %v, got %v)", j.query, rank, j.relevant, numbers(rs))
	}
	return sum / float64(len(js))
}

func TestMRR(t *testing.T) {
	for _, name := range []string{"search-judgments.tsv", "search-judgments-extra.tsv"} {
		t.Run(name, func(t *testing.T) {
			mrr := meanReciprocalRank(t, name)
			t.Logf("MRR %.3f", mrr)
			if mrr < 0.95 {
				t.Errorf("MRR on %s = %.3f, want >= 0.95", name, mrr)
			}
		})
	}
}
