package shownotes

import "testing"

func TestPhraseSetFind(t *testing.T) {
	s := newPhraseSet([]string{"5 etoiles", "promo code", "a b", "x"})
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"laissez 5 etoiles svp", 8}, {"use promo code abc", 4}, {"promo codex", -1}, {"a b c", 0}, {"ax b", -1},
		{"x", 0}, {"xx", -1}, {"the x.", 4},
	} {
		if got := s.find(tc.in); got != tc.want {
			t.Errorf("find(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
