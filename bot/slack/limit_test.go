package slack

import (
	"testing"
	"time"
)

// limiterClock is a clock the limiter tests move by hand: the limiter's waits
// are read, never slept.
type limiterClock struct{ t time.Time }

func (c *limiterClock) now() time.Time          { return c.t }
func (c *limiterClock) advance(d time.Duration) { c.t = c.t.Add(d) }

const forever = time.Duration(1<<63 - 1)

func newTestLimiter() (*limiter, *limiterClock) {
	clk := &limiterClock{t: time.Date(2024, 5, 13, 9, 0, 0, 0, time.UTC)}
	return newLimiter(clk.now, time.Second, 100*time.Millisecond), clk
}

// reserveAll books a slot for each channel in turn and returns the waits.
func reserveAll(t *testing.T, l *limiter, channels ...string) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for _, ch := range channels {
		w, ok := l.reserve(ch, forever)
		if !ok {
			t.Fatalf("reserve(%s) refused with no deadline", ch)
		}
		waits = append(waits, w)
	}
	return waits
}

func equalWaits(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLimiterSpacing(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		channels []string
		want     []time.Duration
	}{
		{"one channel: a second apart", []string{"C1", "C1", "C1"}, []time.Duration{0, time.Second, 2 * time.Second}},
		{"the workspace: a gap apart", []string{"C1", "C2", "C3", "C4"}, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms}},
		// A channel waiting for its next second does not hold the others
		// back: they take the free slots between.
		{"a busy channel holds no one back", []string{"C1", "C1", "C2", "C3"}, []time.Duration{0, time.Second, 100 * ms, 200 * ms}},
		{"slots fill the gaps in order", []string{"C1", "C1", "C1", "C2", "C2"}, []time.Duration{0, time.Second, 2 * time.Second, 100 * ms, 1100 * ms}},
		{"a slot between two booked ones needs room on both sides", []string{"C1", "C2", "C2", "C1", "C3"}, []time.Duration{0, 100 * ms, 1100 * ms, time.Second, 200 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLimiter()
			if got := reserveAll(t, l, tt.channels...); !equalWaits(got, tt.want) {
				t.Errorf("waits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLimiterTimePasses(t *testing.T) {
	l, clk := newTestLimiter()
	reserveAll(t, l, "C1", "C2")
	clk.advance(500 * time.Millisecond)
	if got := reserveAll(t, l, "C1", "C3"); !equalWaits(got, []time.Duration{500 * time.Millisecond, 0}) {
		t.Errorf("half a second later: waits = %v, want [500ms 0s]", got)
	}
	clk.advance(time.Hour)
	if got := reserveAll(t, l, "C1", "C2", "C3"); !equalWaits(got, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}) {
		t.Errorf("an hour later: waits = %v", got)
	}
}

func TestLimiterMaxWait(t *testing.T) {
	l, _ := newTestLimiter()
	reserveAll(t, l, "C1")
	w, ok := l.reserve("C1", 500*time.Millisecond)
	if ok || w != time.Second {
		t.Fatalf("reserve past maxWait = %v, %v; want 1s, false", w, ok)
	}
	// Nothing was booked: the next caller gets the same slot, and other
	// channels are not pushed back.
	if got := reserveAll(t, l, "C1", "C2"); !equalWaits(got, []time.Duration{time.Second, 100 * time.Millisecond}) {
		t.Errorf("after a refused reserve: waits = %v, want [1s 100ms]", got)
	}
	if w, ok := l.reserve("C3", 200*time.Millisecond); !ok || w != 200*time.Millisecond {
		t.Errorf("reserve within maxWait = %v, %v; want 200ms, true", w, ok)
	}
}

func TestLimiterPause(t *testing.T) {
	l, clk := newTestLimiter()
	if d := l.held(); d != 0 {
		t.Errorf("held before any 429 = %v", d)
	}
	l.pause(5 * time.Second)
	if got := reserveAll(t, l, "C1", "C2", "C1"); !equalWaits(got, []time.Duration{5 * time.Second, 5100 * time.Millisecond, 6 * time.Second}) {
		t.Errorf("waits after a 429 = %v, want [5s 5.1s 6s]", got)
	}
	if d := l.held(); d != 5*time.Second {
		t.Errorf("held = %v, want 5s", d)
	}
	// A shorter Retry-After does not shorten the pause.
	l.pause(time.Second)
	if d := l.held(); d != 5*time.Second {
		t.Errorf("held after a shorter pause = %v, want 5s", d)
	}
	clk.advance(2 * time.Second)
	if d := l.held(); d != 3*time.Second {
		t.Errorf("held 2s later = %v, want 3s", d)
	}
	if w, ok := l.reserve("C3", 2*time.Second); ok || w < 3*time.Second {
		t.Errorf("reserve within a pause longer than maxWait = %v, %v; want refused", w, ok)
	}
	clk.advance(10 * time.Second)
	if d := l.held(); d != 0 {
		t.Errorf("held after the pause = %v", d)
	}
	if got := reserveAll(t, l, "C1"); got[0] != 0 {
		t.Errorf("wait after the pause = %v, want 0", got[0])
	}
}

// Replicas share the workspace's rate: with a share of 3, posts to different
// channels are three gaps apart; back alone, one gap.
func TestLimiterShare(t *testing.T) {
	l, clk := newTestLimiter()
	l.setShare(3)
	if got := reserveAll(t, l, "C1", "C2", "C3"); !equalWaits(got, []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond}) {
		t.Errorf("a third of the rate: waits = %v, want [0 300ms 600ms]", got)
	}
	clk.advance(time.Hour)
	l.setShare(0) // as 1
	if got := reserveAll(t, l, "C1", "C2", "C3"); !equalWaits(got, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}) {
		t.Errorf("the whole rate again: waits = %v", got)
	}
}
