package feeds

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNextPoll(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	fifth := func(d time.Duration) time.Duration { return d / 5 }
	tests := []struct {
		name       string
		interval   time.Duration
		failures   int
		retryAfter time.Duration
		jitter     func(time.Duration) time.Duration
		want       time.Duration // after now
	}{
		{"success", time.Hour, 0, 0, nil, time.Hour},
		{"success ignores jitter", time.Hour, 0, 0, fifth, time.Hour},
		{"success honours a longer Retry-After", 10 * time.Minute, 0, time.Hour, nil, time.Hour},
		{"first failure retries within 5m", time.Hour, 1, 0, nil, 5 * time.Minute},
		{"short interval is the base", 2 * time.Minute, 1, 0, nil, 2 * time.Minute},
		{"second failure doubles", time.Hour, 2, 0, nil, 10 * time.Minute},
		{"third failure doubles again", time.Hour, 3, 0, nil, 20 * time.Minute},
		{"seventh failure", time.Hour, 7, 0, nil, 320 * time.Minute},
		{"capped at 6h", time.Hour, 8, 0, nil, 6 * time.Hour},
		{"huge failure count does not overflow", time.Hour, 1 << 30, 0, nil, 6 * time.Hour},
		{"jitter adds up to 20%", time.Hour, 1, 0, fifth, 6 * time.Minute},
		{"jitter on the cap", time.Hour, 20, 0, fifth, 6*time.Hour + 72*time.Minute},
		{"excess jitter clamped to 20%", time.Hour, 1, 0, func(d time.Duration) time.Duration { return 10 * d }, 6 * time.Minute},
		{"negative jitter ignored", time.Hour, 1, 0, func(d time.Duration) time.Duration { return -d }, 5 * time.Minute},
		{"Retry-After wins when larger", time.Hour, 1, 2 * time.Hour, fifth, 2 * time.Hour},
		{"backoff wins over a shorter Retry-After", time.Hour, 3, time.Minute, nil, 20 * time.Minute},
		{"Retry-After capped at 24h", time.Hour, 1, 72 * time.Hour, nil, 24 * time.Hour},
		{"zero interval falls back to 5m", 0, 0, 0, nil, 5 * time.Minute},
		{"negative failures count as success", time.Hour, -1, 0, nil, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextPoll(now, tt.interval, tt.failures, tt.retryAfter, tt.jitter)
			if diff := cmp.Diff(now.Add(tt.want), got); diff != "" {
				t.Errorf("NextPoll (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNextPollJitter(t *testing.T) {
	for range 1000 {
		d := 10 * time.Minute
		if j := Jitter(d); j < 0 || j > d/5 {
			t.Fatalf("Jitter(%v) = %v, want within [0, %v]", d, j, d/5)
		}
	}
	if j := Jitter(0); j != 0 {
		t.Errorf("Jitter(0) = %v", j)
	}
}
