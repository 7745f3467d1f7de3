package slack

import (
	"slices"
	"sync"
	"time"
)

// limiter spaces posts the way Slack wants them: about one message per second
// per channel, and some hundreds per minute per workspace. Spacing them ourselves
// costs nothing when Slack would have allowed a burst, and saves a 429 and its
// Retry-After when it would not.
type limiter struct {
	now func() time.Time
	// channelGap and workspaceGap are the least time between two posts to one
	// channel, and between any two posts.
	channelGap, workspaceGap time.Duration

	mu sync.Mutex
	// share multiplies workspaceGap: replicas posting as one app divide the
	// workspace's rate, which Slack counts over all of them.
	share int
	next  map[string]time.Time // earliest next post, per channel
	// booked are the slots given out that are not long past, in order: a slot
	// waited for in one channel must not hold back the others, so the
	// workspace's spacing is kept between slots, not after the latest one.
	booked []time.Time
	// paused holds every post until then: Slack answered 429.
	paused time.Time
}

func newLimiter(now func() time.Time, channelGap, workspaceGap time.Duration) *limiter {
	return &limiter{now: now, channelGap: channelGap, workspaceGap: workspaceGap, share: 1, next: make(map[string]time.Time)}
}

// setShare makes this process keep to 1/replicas of the workspace's rate.
func (l *limiter) setShare(replicas int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.share = max(replicas, 1)
}

// reserve books the next slot to post to channel and returns how long to wait
// for it. When that is longer than maxWait, nothing is booked and ok is false:
// the caller gives the delivery back rather than hold it.
func (l *limiter) reserve(channel string, maxWait time.Duration) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	gap := l.workspaceGap * time.Duration(l.share)
	// Slots older than a gap constrain nothing any more.
	l.booked = slices.DeleteFunc(l.booked, func(t time.Time) bool { return !t.After(now.Add(-gap)) })
	for ch, t := range l.next {
		if !t.After(now) {
			delete(l.next, ch)
		}
	}
	slot := now
	if t := l.next[channel]; t.After(slot) {
		slot = t
	}
	if l.paused.After(slot) {
		slot = l.paused
	}
	// The first time from slot that is a gap away from every booked slot: the
	// booked slots are in order, and slot only moves forward.
	at := len(l.booked)
	for i, b := range l.booked {
		if !b.Add(gap).After(slot) {
			continue // well before
		}
		if !slot.Add(gap).After(b) {
			at = i // fits before b
			break
		}
		slot = b.Add(gap)
	}
	wait = slot.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	l.next[channel] = slot.Add(l.channelGap)
	l.booked = slices.Insert(l.booked, at, slot)
	return wait, true
}

// held returns how long every call must still wait after a 429: the calls that
// are not posts (reading history) book no slot, but respect the pause.
func (l *limiter) held() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(0, l.paused.Sub(l.now()))
}

// pause holds every post for d: Slack answered 429, and its Retry-After covers
// the method in the whole workspace.
func (l *limiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.now().Add(d); t.After(l.paused) {
		l.paused = t
	}
}
