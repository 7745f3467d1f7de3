package discord

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testClock is a clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The pacer keeps to 50 requests in any second: a burst of 50 goes at once,
// the 51st waits until the first leaves the window, and a wait longer than
// the caller may wait is refused without booking a slot.
func TestPacer(t *testing.T) {
	const forever = time.Hour
	type res struct {
		Wait time.Duration
		OK   bool
	}
	tests := []struct {
		name  string
		steps func(p *pacer, clk *testClock) []res
		want  []res
	}{
		{
			name: "burst of 50, then the 51st waits for the first to leave",
			steps: func(p *pacer, clk *testClock) []res {
				var out []res
				for range 50 {
					w, ok := p.reserve(forever)
					if w != 0 || !ok {
						out = append(out, res{w, ok}) // only failures are kept
					}
				}
				w, ok := p.reserve(forever)
				return append(out, res{w, ok})
			},
			want: []res{{time.Second, true}},
		},
		{
			name: "the window slides",
			steps: func(p *pacer, clk *testClock) []res {
				var out []res
				for range 25 { // 25 at 0 s
					p.reserve(forever)
				}
				clk.advance(600 * time.Millisecond)
				for range 25 { // 25 at 0.6 s
					p.reserve(forever)
				}
				w, ok := p.reserve(forever) // the 51st: when the first leaves, at 1 s
				out = append(out, res{w, ok})
				clk.advance(400 * time.Millisecond) // 1 s: the 51st is sent now
				for range 24 {                      // the rest of those of 0 s leave at 1 s
					w, ok := p.reserve(forever)
					out = append(out, res{w, ok})
				}
				w, ok = p.reserve(forever) // the next leaves at 1.6 s
				return append(out, res{w, ok})
			},
			want: append(append([]res{{400 * time.Millisecond, true}}, repeat(res{0, true}, 24)...), res{600 * time.Millisecond, true}),
		},
		{
			name: "a wait longer than allowed books nothing",
			steps: func(p *pacer, clk *testClock) []res {
				for range 50 {
					p.reserve(forever)
				}
				var out []res
				for range 3 { // refused, again and again: nothing was booked
					w, ok := p.reserve(999 * time.Millisecond)
					out = append(out, res{w, ok})
				}
				clk.advance(time.Second)
				for range 50 { // every slot free again
					w, ok := p.reserve(0)
					if w != 0 || !ok {
						out = append(out, res{w, ok})
					}
				}
				w, ok := p.reserve(0)
				return append(out, res{w, ok})
			},
			want: []res{{time.Second, false}, {time.Second, false}, {time.Second, false}, {time.Second, false}},
		},
		{
			name: "a wait exactly as long as allowed is booked",
			steps: func(p *pacer, clk *testClock) []res {
				for range 50 {
					p.reserve(forever)
				}
				w, ok := p.reserve(time.Second)
				w2, ok2 := p.reserve(time.Second) // the slot after it: the second request's
				return []res{{w, ok}, {w2, ok2}}
			},
			want: []res{{time.Second, true}, {time.Second, true}},
		},
		{
			name: "a share of the rate keeps the newest bookings",
			steps: func(p *pacer, clk *testClock) []res {
				for range 20 { // 20 at 0 s
					p.reserve(forever)
				}
				clk.advance(500 * time.Millisecond)
				for range 5 { // 5 at 0.5 s
					p.reserve(forever)
				}
				p.setRate(25) // two replicas: the 25 booked fill this one's share
				w, ok := p.reserve(forever)
				out := []res{{w, ok}} // the first of 0 s leaves at 1 s
				p.setRate(10)         // five replicas: the newest 10 are kept
				w, ok = p.reserve(forever)
				out = append(out, res{w, ok}) // the oldest kept (0 s) leaves at 1 s
				p.setRate(0)                  // ignored
				p.setRate(50)                 // alone again: 10 booked, 40 free
				for range 39 {
					if w, ok := p.reserve(forever); w != 0 || !ok {
						out = append(out, res{w, ok})
					}
				}
				return out
			},
			want: []res{{500 * time.Millisecond, true}, {500 * time.Millisecond, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &testClock{t: time.Date(2024, 5, 13, 9, 0, 0, 0, time.UTC)}
			p := newPacer(clk.now, 50, time.Second)
			if diff := cmp.Diff(tt.want, tt.steps(p, clk)); diff != "" {
				t.Errorf("reservations (-want +got):\n%s", diff)
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// A global 429 holds every request for its Retry-After; a 429 of one route
// holds nothing else (discordgo keeps that route's bucket).
func TestGlobalWatch(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"global", map[string]string{"X-RateLimit-Global": "true", "Retry-After": "3"}, 3 * time.Second},
		{"global scope", map[string]string{"X-RateLimit-Scope": "global", "Retry-After": "2"}, 2 * time.Second},
		{"no Retry-After", map[string]string{"X-RateLimit-Global": "true"}, time.Second},
		{"route", map[string]string{"X-RateLimit-Scope": "user", "Retry-After": "5"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"message":"You are being rate limited.","retry_after":1.5,"global":true}`)
			}))
			defer srv.Close()
			clk := &testClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
			p := newPacer(clk.now, 50, time.Second)
			c := &http.Client{Transport: globalWatch{pace: p, next: http.DefaultTransport}}
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if wait, _ := p.reserve(time.Hour); wait != tt.want {
				t.Errorf("next request waits %v, want %v", wait, tt.want)
			}
		})
	}
}

// A process that starts holds its requests as New was told: its predecessor
// may have used the global limit's last second.
func TestHoldAtStart(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	p := newPacer(clk.now, 50, time.Second)
	p.hold(clk.now().Add(time.Second))
	if wait, ok := p.reserve(time.Hour); !ok || wait != time.Second {
		t.Errorf("first request waits %v (ok %v), want 1s", wait, ok)
	}
	clk.advance(2 * time.Second)
	if wait, _ := p.reserve(time.Hour); wait != 0 {
		t.Errorf("after the hold, a request waits %v", wait)
	}
}
