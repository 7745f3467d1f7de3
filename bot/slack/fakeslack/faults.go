package fakeslack

import (
	"time"
)

// Fault is a failure injected into the Web API.
type Fault struct {
	// Method limits the fault to one method ("" for any).
	Method string
	// Channel limits the fault to calls naming this channel ("" for any).
	Channel string
	// Error is the Slack error code answered with HTTP 200, e.g. "internal_error" or
	// "channel_not_found"; "ratelimited" answers HTTP 429 with Retry-After instead.
	Error string
	// RetryAfter is the wait announced with "ratelimited" (default 1 s, rounded up to
	// whole seconds).
	RetryAfter time.Duration
	// Status, when neither 0 nor 200, answers that HTTP status with a non-JSON body, as
	// an outage would (slack-go returns a slack.StatusCodeError); 429 is the same as
	// Error "ratelimited".
	Status int
	// DropResponse processes the call normally (a message is posted) and then cuts the
	// connection without answering, as a crash or network failure after the fact would.
	DropResponse bool
	// Times is how many calls the fault hits: 0 means 1, negative means until
	// ClearFaults.
	Times int
}

// Inject adds a fault; faults are matched in the order they were added.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// FailNext makes the next call of method answer {"ok":false,"error":code}.
func (s *Server) FailNext(method, code string) {
	s.Inject(Fault{Method: method, Error: code})
}

// FailPost makes the next chat.postMessage to channel answer {"ok":false,"error":code}.
func (s *Server) FailPost(channel, code string) {
	s.Inject(Fault{Method: "chat.postMessage", Channel: channel, Error: code})
}

// RateLimitNext makes the next n calls of method ("" for any) answer HTTP 429 with
// Retry-After.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.Inject(Fault{Method: method, Error: "ratelimited", RetryAfter: retryAfter, Times: max(n, 1)})
}

// RateLimitStorm makes every call of every method answer HTTP 429 until ClearFaults.
func (s *Server) RateLimitStorm(retryAfter time.Duration) {
	s.Inject(Fault{Error: "ratelimited", RetryAfter: retryAfter, Times: -1})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault matching the call and uses it up. s.mu must be
// held.
func (s *Server) takeFault(method, channel string) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Channel != "" && f.Channel != channel {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &out
	}
	return nil
}
