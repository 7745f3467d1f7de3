package feeds

import (
	"math/rand/v2"
	"time"
)

// Backoff bounds for NextPoll.
const (
	// maxBackoffBase is the first retry delay: a failing feed is retried soon even when
	// its normal interval is long, because most failures are brief.
	maxBackoffBase = 5 * time.Minute
	// maxBackoff caps the exponential backoff so a feed that comes back is noticed
	// within hours.
	maxBackoff = 6 * time.Hour
	// fallbackInterval replaces a non-positive interval so a misconfiguration cannot
	// turn the poll loop into a busy loop.
	fallbackInterval = 5 * time.Minute
)

// NextPoll says when to poll a feed again. After a success (failures == 0) it is
// now+interval. After the n-th consecutive failure it is an exponential backoff,
// min(interval, 5m)·2^(n-1) capped at 6h, plus jitter(delay) clamped to [0, 20%] so
// feeds failing together do not retry together (nil jitter adds none). A server's
// retryAfter (capped at 24h) wins when it is longer.
func NextPoll(now time.Time, interval time.Duration, failures int, retryAfter time.Duration, jitter func(time.Duration) time.Duration) time.Time {
	if interval <= 0 {
		interval = fallbackInterval
	}
	d := interval
	if failures > 0 {
		d = min(interval, maxBackoffBase)
		// Doubling in a loop rather than shifting cannot overflow for large counts.
		for i := 1; i < failures && d < maxBackoff; i++ {
			d *= 2
		}
		d = min(d, maxBackoff)
		if jitter != nil {
			d += min(max(jitter(d), 0), d/5)
		}
	}
	if ra := min(retryAfter, maxRetryAfter); ra > d {
		d = ra
	}
	return now.Add(d)
}

// Jitter is a jitter function for NextPoll: a random extra of up to 20% of d.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d/5 + 1)
}
