package feeds

import "sort"

// Policy decides which newly seen episodes of one poll are announced. It is what keeps
// promise 2 (no floods): a first poll, a host migration or a burst of old items never
// turns into a wall of announcements.
type Policy struct {
	// Backfill is how many of the newest episodes a feed's first poll announces.
	Backfill int
	// FloodLimit is the most announcements one poll may make; past it the poll makes
	// one summary instead.
	FloodLimit int
}

// Outcome is what a poll announces.
type Outcome struct {
	// Announce lists the episodes to announce, oldest first.
	Announce []Episode
	// Summary is true when Announce is to be posted as one summary message.
	Summary bool
	// Reason says why some or all new episodes are not announced: "first poll",
	// "host migration", or "" when every new episode is announced.
	Reason string
}

// Reasons for silence, as recorded in logs and poll results.
const (
	ReasonFirstPoll     = "first poll"
	ReasonHostMigration = "host migration"
)

// Decide applies the policy to one poll. first says no earlier poll of the feed
// returned content, known is how many episodes the feed had before the poll, matched
// how many parsed items were recognised as known ones, and fresh the items that
// matched nothing.
func (p Policy) Decide(first bool, known, matched int, fresh []Episode) Outcome {
	if len(fresh) == 0 {
		return Outcome{}
	}
	eps := make([]Episode, len(fresh))
	copy(eps, fresh)
	// Oldest first, so a channel reads episodes in the order they came out.
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].Published.Before(eps[j].Published) })
	switch {
	case first:
		n := min(max(p.Backfill, 0), len(eps))
		return p.limit(Outcome{Announce: eps[len(eps)-n:], Reason: ReasonFirstPoll})
	case known > 0 && matched == 0 && len(eps) > 1:
		// Not one item recognised, yet the feed had episodes: the host rewrote the
		// whole feed. Announcing would repost the back catalogue.
		return Outcome{Reason: ReasonHostMigration}
	}
	return p.limit(Outcome{Announce: eps})
}

func (p Policy) limit(o Outcome) Outcome {
	limit := p.FloodLimit
	if limit < 1 {
		limit = 1
	}
	if len(o.Announce) > limit {
		o.Summary = true
	}
	if len(o.Announce) == 0 {
		o.Announce = nil
	}
	return o
}
