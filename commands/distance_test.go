package commands

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"help", "help", 0},
		{"", "abc", 3},
		{"takaways", "takeaways", 1},
		{"hlep", "help", 1}, // a swap is one edit
		{"episdoe", "episode", 1},
		{"kitten", "sitting", 3},
		{"café", "cafe", 1}, // runes, not bytes
		{"ca", "abc", 3},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := distance(tt.a, tt.b); got != tt.want {
				t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := distance(tt.b, tt.a); got != tt.want {
				t.Errorf("distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
			}
		})
	}
}
