package discord

import (
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
