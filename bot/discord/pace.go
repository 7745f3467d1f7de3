package discord

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer keeps the bot's REST requests within Discord's global limit (50 a
// second, contract B6), which discordgo does not pace: it only learns of it
// from a 429. The window slides, so no second, however it is cut, sees more
// than rate requests; a burst goes at once, then one request per slot freed.
// Per-route buckets are discordgo's: it reads their X-RateLimit headers.
type pacer struct {
	now    func() time.Time
	rate   int
	window time.Duration

	mu sync.Mutex
	// sent are the times of the last rate requests booked, oldest first, in a
	// ring starting at head.
	sent []time.Time
	head int
	// until holds every request until then: Discord answered a global 429,
	// or the process just started.
	until time.Time
}

func newPacer(now func() time.Time, rate int, window time.Duration) *pacer {
	return &pacer{now: now, rate: rate, window: window}
}

// reserve books the next request's slot and returns how long to wait for it.
// When that is longer than maxWait nothing is booked and ok is false: the
// caller gives the delivery back rather than hold it.
func (p *pacer) reserve(maxWait time.Duration) (wait time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	slot := now
	if p.until.After(slot) {
		slot = p.until
	}
	if len(p.sent) == p.rate {
		// The oldest of the last rate requests must leave the window first.
		if free := p.sent[p.head].Add(p.window); free.After(slot) {
			slot = free
		}
	}
	wait = slot.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	if len(p.sent) < p.rate {
		p.sent = append(p.sent, slot)
	} else {
		p.sent[p.head] = slot
		p.head = (p.head + 1) % p.rate
	}
	return wait, true
}

// setRate changes the most requests in a window, keeping the newest of those
// booked.
func (p *pacer) setRate(rate int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rate < 1 || rate == p.rate {
		return
	}
	booked := append(append([]time.Time(nil), p.sent[p.head:]...), p.sent[:p.head]...)
	if len(booked) > rate {
		booked = booked[len(booked)-rate:]
	}
	p.sent, p.head, p.rate = booked, 0, rate
}

// hold books no slot before t.
func (p *pacer) hold(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.until) {
		p.until = t
	}
}

// globalWatch tells the pacer of the global 429s Discord answers: discordgo's
// error does not say whether a limit was global, and a global one must hold
// every request, not only the delivery that met it.
type globalWatch struct {
	pace *pacer
	next http.RoundTripper
}

func (t globalWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	h := resp.Header
	if h.Get("X-RateLimit-Global") == "true" || h.Get("X-RateLimit-Scope") == "global" {
		// Retry-After is whole seconds, rounded up from the body's
		// retry_after: never shorter than Discord asks.
		secs, perr := strconv.ParseFloat(h.Get("Retry-After"), 64)
		if perr != nil || secs <= 0 {
			secs = 1
		}
		t.pace.hold(t.pace.now().Add(time.Duration(secs * float64(time.Second))))
	}
	return resp, err
}
