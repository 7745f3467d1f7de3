package fakediscord

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Rate is a fixed-window limit, as Discord's buckets are: N requests per Per, the
// window starting at the first request after the previous one ended.
type Rate struct {
	N         int
	Per       time.Duration
	Unlimited bool
}

// NoLimit is a Rate that never limits.
func NoLimit() Rate { return Rate{Unlimited: true} }

func (r Rate) validate() error {
	if r.Unlimited {
		return nil
	}
	if r.N <= 0 || r.Per <= 0 {
		return errors.New("fakediscord: a Rate needs N and Per > 0, or Unlimited")
	}
	return nil
}

type window struct {
	rate  Rate
	start time.Time
	used  int
}

// take consumes a request from the window; it returns the remaining count, the time
// until the window resets and whether the request is allowed.
func (w *window) take(now time.Time) (remaining int, resetAfter time.Duration, ok bool) {
	if w.rate.Unlimited {
		return math.MaxInt32, 0, true
	}
	if w.start.IsZero() || !now.Before(w.start.Add(w.rate.Per)) {
		w.start, w.used = now, 0
	}
	resetAfter = w.start.Add(w.rate.Per).Sub(now)
	if w.used >= w.rate.N {
		return 0, resetAfter, false
	}
	w.used++
	return w.rate.N - w.used, resetAfter, true
}

// limitResult is the outcome of the rate-limit checks of one request.
type limitResult struct {
	bucket     string
	limit      int
	remaining  int
	resetAfter time.Duration
	limited    bool
	global     bool
	retry      time.Duration
}

// checkLimits applies the global limit (unless exempt) and the route bucket. s.mu must
// be held.
func (s *Server) checkLimits(route, resource string, rate Rate, exempt bool) limitResult {
	now := s.now()
	key := route + "|" + resource
	res := limitResult{bucket: hashHex(16, route), limit: rate.N}
	if rate.Unlimited {
		res.limit = math.MaxInt32
	}
	// A call before an announced retry_after elapsed breaks B6.
	keys := []string{key}
	if !exempt {
		keys = append(keys, "global")
	}
	for _, k := range keys {
		if until, ok := s.retryAfter[k]; ok {
			if now.Before(until) {
				s.violate("B6 retry_after", "%s called %.3fs before the announced retry_after elapsed", route, until.Sub(now).Seconds())
			} else {
				delete(s.retryAfter, k)
			}
		}
	}
	if !exempt {
		g := s.windows["global"]
		if g == nil {
			g = &window{rate: s.opts.GlobalRate}
			s.windows["global"] = g
		}
		if _, ra, ok := g.take(now); !ok {
			res.limited, res.global, res.retry = true, true, ra
			s.retryAfter["global"] = now.Add(ra)
			return res
		}
	}
	w := s.windows[key]
	if w == nil {
		w = &window{rate: rate}
		s.windows[key] = w
	}
	rem, ra, ok := w.take(now)
	res.remaining, res.resetAfter = rem, ra
	if !ok {
		res.limited, res.retry = true, ra
		s.retryAfter[key] = now.Add(ra)
	}
	return res
}

// writeHeaders sets the X-RateLimit-* headers of a response.
func (s *Server) writeLimitHeaders(h http.Header, r limitResult) {
	now := s.now()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.remaining))
	reset := now.Add(r.resetAfter)
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(r.resetAfter.Seconds(), 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", r.bucket)
	if r.limited {
		if r.global {
			h.Set("X-RateLimit-Global", "true")
			h.Set("X-RateLimit-Scope", "global")
		} else {
			h.Set("X-RateLimit-Scope", "user")
		}
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(r.retry.Seconds()))))
	}
}
