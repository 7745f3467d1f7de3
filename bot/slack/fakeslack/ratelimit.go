package fakeslack

import (
	"errors"
	"math"
	"time"
)

// Rate is a token bucket: N calls per Per, with bursts of up to Burst calls. The zero
// Rate means "the default" where it is used as an option.
type Rate struct {
	N         int
	Per       time.Duration
	Burst     int
	Unlimited bool
}

// PerMinute returns a Rate of n calls a minute with the given burst.
func PerMinute(n, burst int) Rate { return Rate{N: n, Per: time.Minute, Burst: burst} }

// PerSecond returns a Rate of n calls a second with the given burst.
func PerSecond(n, burst int) Rate { return Rate{N: n, Per: time.Second, Burst: burst} }

// NoLimit is a Rate that never limits.
func NoLimit() Rate { return Rate{Unlimited: true} }

func (r Rate) validate() error {
	if r.Unlimited {
		return nil
	}
	if r.N <= 0 || r.Per <= 0 || r.Burst <= 0 {
		return errors.New("rate needs N, Per and Burst > 0, or Unlimited")
	}
	return nil
}

// defaultMethodRates are per-workspace limits of the methods other than
// chat.postMessage (contract A1 tiers: Tier 3 is 50+/min, Tier 4 100+/min; auth.test is
// "special", hundreds a minute). apps.connections.open is Tier 3 or Tier 1 depending on
// the source; the fake uses Tier 3.
var defaultMethodRates = map[string]Rate{
	"auth.test":             PerMinute(600, 100),
	"chat.postEphemeral":    PerMinute(100, 20),
	"chat.update":           PerMinute(50, 20),
	"chat.delete":           PerMinute(50, 20),
	"conversations.history": PerMinute(50, 20),
	"conversations.info":    PerMinute(50, 20),
	"conversations.join":    PerMinute(50, 20),
	"apps.connections.open": PerMinute(50, 10),
}

// bucket is a token bucket on the server's clock.
type bucket struct {
	rate   Rate
	tokens float64
	last   time.Time
}

func newBucket(r Rate, now time.Time) *bucket {
	return &bucket{rate: r, tokens: float64(r.Burst), last: now}
}

func (b *bucket) refill(now time.Time) {
	if b.rate.Unlimited {
		return
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(float64(b.rate.Burst), b.tokens+d.Seconds()*float64(b.rate.N)/b.rate.Per.Seconds())
		b.last = now
	}
}

// wait is how long until a token is available (0 when one is).
func (b *bucket) wait(now time.Time) time.Duration {
	if b.rate.Unlimited {
		return 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(b.rate.Per) / float64(b.rate.N))
}

func (b *bucket) take() {
	if !b.rate.Unlimited {
		b.tokens--
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1: slack-go only
// understands an integer Retry-After (A1).
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// rateLimit takes a token for the call, or returns how long to wait and the key of the
// limit that was hit. s.mu must be held.
func (s *Server) rateLimit(method, channel string) (time.Duration, string) {
	now := s.now()
	type limit struct {
		key  string
		rate Rate
	}
	var limits []limit
	if method == "chat.postMessage" {
		limits = []limit{
			{"chat.postMessage#" + channel, s.opts.ChannelRate},
			{"chat.postMessage", s.opts.WorkspaceRate},
		}
	} else {
		r, ok := s.opts.MethodRates[method]
		if !ok {
			r = PerMinute(50, 20) // Tier 3
		}
		limits = []limit{{method, r}}
	}
	var longest time.Duration
	key := ""
	var bs []*bucket
	for _, l := range limits {
		b, ok := s.buckets[l.key]
		if !ok {
			b = newBucket(l.rate, now)
			s.buckets[l.key] = b
		}
		bs = append(bs, b)
		if w := b.wait(now); w > longest {
			longest, key = w, l.key
		}
	}
	if longest > 0 {
		return longest, key
	}
	for _, b := range bs {
		b.take()
	}
	return 0, ""
}
