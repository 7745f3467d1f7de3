package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/pmbot/pmbot/feeds"
)

// This file holds the decisions of a poll and of an outbox backlog as plain code,
// with no SQL: a store reads the state a decision needs (PollState,
// BacklogState), PlanPoll and PlanBacklog decide, and the store applies the plan
// in one transaction (ApplyPoll, ApplyBacklog), refusing it with ErrConflict when
// the state moved in between. Every engine shares these rules; an engine only
// reads and writes.

// ErrConflict is returned by ApplyPoll and ApplyBacklog when what the plan was
// made on changed before it was applied (another process recorded a poll of the
// feed, a channel subscribed, a dispatcher claimed a delivery): nothing was
// written, and a plan made on a fresh state is needed. RecordPoll and
// SettleBacklog do that.
var ErrConflict = errors.New("store: the data changed while the change was planned")

// maxPlanAttempts bounds how many times RecordPoll and SettleBacklog plan again
// after a conflict: one process polls a feed at a time, so a conflict is rare and
// a second one rarer still.
const maxPlanAttempts = 5

// TopicMatcher says whether an episode matches any of a subscription's topics.
type TopicMatcher func(ep feeds.Episode, topics []string) bool

// KnownEpisode is what planning a poll needs to know of a stored episode.
type KnownEpisode struct {
	GUID string
	// Hash is the content hash of the stored data (feeds.Episode.ContentHash),
	// or "" for a damaged row, so that a poll still listing the episode rewrites
	// (repairs) it rather than skipping it as unchanged.
	Hash string
}

// PollState is what the store knows of a feed that a poll is planned on.
type PollState struct {
	FeedID int64
	// Polls counts the polls recorded for the feed: 0 means the next one is the
	// first. It versions the feed's episodes: ApplyPoll refuses a plan made on
	// another count.
	Polls int
	// Episodes are the feed's stored episodes by id.
	Episodes map[int64]KnownEpisode
	// Aliases maps every recorded identity key (feeds.Aliases) to its episode.
	Aliases map[string]int64
	// Subscriptions are the feed's active subscriptions, by id.
	Subscriptions []Subscription
}

// PollPlan is what one poll changes, as PlanPoll decided it.
type PollPlan struct {
	FeedID int64
	// BasePolls and BaseSubscriptions are the state the plan was made on.
	// ApplyPoll refuses the plan (ErrConflict) when a poll was recorded since, or
	// when the plan enqueues announcements and the feed's active subscriptions
	// or their topics changed.
	BasePolls         int
	BaseSubscriptions []Subscription
	// New lists the episodes seen for the first time, in feed order.
	New []PlannedEpisode
	// Updated lists the known episodes whose content or GUID changed, to rewrite.
	Updated []PlannedEpisode
	// Aliases lists the identity keys to record for known episodes; a new
	// episode's are in its PlannedEpisode.
	Aliases []PlannedAlias
	// Announcements lists the deliveries to enqueue, in the order they are to be
	// posted.
	Announcements []PlannedAnnouncement
	// Announced, Summary and Reason are the PollResult's.
	Announced int
	Summary   bool
	Reason    string
}

// PlannedEpisode is an episode a poll inserts (ID 0) or rewrites.
type PlannedEpisode struct {
	ID      int64
	Episode feeds.Episode
	// Hash is the episode's content hash, to store with it.
	Hash string
	// Aliases are the identity keys to record for a new episode: those no other
	// episode holds (the first to hold a key keeps it).
	Aliases []string
}

// PlannedAlias is an identity key to record for a known episode.
type PlannedAlias struct {
	EpisodeID int64
	Key       string
}

// PlannedAnnouncement is one delivery a poll enqueues.
type PlannedAnnouncement struct {
	SubscriptionID int64
	// Kind is KindEpisode or KindSummary.
	Kind string
	// New lists the episodes it announces, oldest first, as indexes into
	// PollPlan.New (they have no id before ApplyPoll inserts them).
	New []int
}

// AnnouncementKey is the dedupe key of an announcement of the episodes ids: the
// outbox holds one delivery per (subscription, key), so enqueueing the same
// announcement twice is a no-op.
func AnnouncementKey(kind string, ids []int64) string {
	return kind + ":" + joinIDs(ids)
}

// PlanPoll decides what one successful poll of a feed changes: which parsed items
// are known episodes (matched on any identity key, GUID first) and which are new,
// what to rewrite, and, by the policy, what to announce to each active
// subscription of st: one delivery per episode it wants (a subscription with
// topics wants the episodes match accepts; all when match is nil), or one summary
// when they are more than the flood limit. A feed listing one episode twice
// records it once. It changes nothing in st.
func PlanPoll(st PollState, parsed []feeds.Episode, p feeds.Policy, match TopicMatcher) PollPlan {
	plan := PollPlan{FeedID: st.FeedID, BasePolls: st.Polls, BaseSubscriptions: st.Subscriptions}
	aliases := maps.Clone(st.Aliases)
	if aliases == nil {
		aliases = make(map[string]int64)
	}
	// A new episode has no id until it is inserted: here it is -(its index in
	// plan.New + 1), so later items of the poll can match it like any other.
	seen := make(map[int64]bool, len(parsed))
	matched := 0
	var fresh []feeds.Episode
	freshIndex := make(map[string]int) // GUID -> index in plan.New
	for _, ep := range parsed {
		keys := feeds.Aliases(ep)
		id := matchAliases(aliases, keys)
		if id != 0 && seen[id] {
			continue // the feed lists the same episode twice
		}
		sum := ep.ContentHash()
		if id != 0 {
			seen[id] = true
			k, old := st.Episodes[id]
			if old {
				matched++
			}
			if k.Hash != sum || k.GUID != ep.GUID {
				plan.Updated = append(plan.Updated, PlannedEpisode{ID: id, Episode: ep, Hash: sum})
			}
			for _, key := range claimKeys(aliases, keys, id) {
				plan.Aliases = append(plan.Aliases, PlannedAlias{EpisodeID: id, Key: key})
			}
			continue
		}
		id = -int64(len(plan.New) + 1)
		seen[id] = true
		freshIndex[ep.GUID] = len(plan.New)
		plan.New = append(plan.New, PlannedEpisode{Episode: ep, Hash: sum, Aliases: claimKeys(aliases, keys, id)})
		fresh = append(fresh, ep)
	}

	out := p.Decide(st.Polls == 0, len(st.Episodes), matched, fresh)
	plan.Reason, plan.Summary, plan.Announced = out.Reason, out.Summary, len(out.Announce)
	if len(out.Announce) > 0 {
		news := make([]int, len(out.Announce))
		for i, ep := range out.Announce {
			news[i] = freshIndex[ep.GUID]
		}
		plan.Announcements = planAnnouncements(st.Subscriptions, news, out.Announce, p.FloodLimit, match)
	}
	return plan
}

// matchAliases returns the episode any of the keys points to, GUID first.
func matchAliases(aliases map[string]int64, keys []string) int64 {
	for _, k := range keys {
		if id, ok := aliases[k]; ok {
			return id
		}
	}
	return 0
}

// claimKeys gives id the keys no episode holds yet and returns them. A key that
// already names another episode keeps naming it: first come, first kept.
func claimKeys(aliases map[string]int64, keys []string, id int64) []string {
	var out []string
	for _, k := range keys {
		if _, ok := aliases[k]; ok {
			continue
		}
		aliases[k] = id
		out = append(out, k)
	}
	return out
}

// planAnnouncements plans, for every subscription, one delivery per episode it
// wants (oldest first), or one summary of them when they are more than the flood
// limit. news are the episodes' indexes in the plan, eps the episodes.
func planAnnouncements(subs []Subscription, news []int, eps []feeds.Episode, floodLimit int, match TopicMatcher) []PlannedAnnouncement {
	var out []PlannedAnnouncement
	one := make(map[int64][]int, len(subs))
	rounds := 0
	for _, s := range subs {
		wanted := news
		if len(s.Topics) > 0 && match != nil {
			wanted = nil
			for i, ep := range eps {
				if match(ep, s.Topics) {
					wanted = append(wanted, news[i])
				}
			}
		}
		if len(wanted) > max(floodLimit, 1) {
			out = append(out, PlannedAnnouncement{SubscriptionID: s.ID, Kind: KindSummary, New: wanted})
			continue
		}
		one[s.ID] = wanted
		rounds = max(rounds, len(wanted))
	}
	// Episode by episode across the channels, not channel by channel: the outbox
	// is posted in this order, and a channel's second message waits a second for
	// Slack's per-channel limit, which must not hold up every other channel's
	// first one. Each channel still gets its episodes oldest first.
	for r := range rounds {
		for _, s := range subs {
			if wanted := one[s.ID]; r < len(wanted) {
				out = append(out, PlannedAnnouncement{SubscriptionID: s.ID, Kind: KindEpisode, New: []int{wanted[r]}})
			}
		}
	}
	return out
}

// SameAudience says whether two lists of active subscriptions get the same
// announcements: the same ids with the same topics, in the same order.
// ApplyPoll checks it to refuse a plan made before a channel subscribed,
// unsubscribed or changed its topics.
func SameAudience(a, b []Subscription) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || strings.Join(a[i].Topics, "\n") != strings.Join(b[i].Topics, "\n") {
			return false
		}
	}
	return true
}

// PollRecorder is what RecordPoll needs of a store.
type PollRecorder interface {
	// PollState reads what a poll of the feed is planned on.
	PollState(ctx context.Context, feedID int64) (PollState, error)
	// ApplyPoll applies a plan in one transaction, or returns ErrConflict and
	// changes nothing when the feed changed since its state was read.
	ApplyPoll(ctx context.Context, plan PollPlan) (PollResult, error)
}

// RecordPoll records the parsed episodes of one successful poll of a feed and, in
// the same transaction, enqueues the deliveries the policy allows for every active
// subscription of the feed (see PlanPoll). So an episode is never recorded
// without its announcements, nor announced twice: a crash before the commit
// records nothing and the next poll sees it again. When the feed changed between
// reading its state and applying the plan, the plan is made again on the new
// state.
func RecordPoll(ctx context.Context, st PollRecorder, feedID int64, parsed []feeds.Episode, p feeds.Policy, match TopicMatcher) (PollResult, error) {
	for attempt := 1; ; attempt++ {
		state, err := st.PollState(ctx, feedID)
		if err != nil {
			return PollResult{}, err
		}
		res, err := st.ApplyPoll(ctx, PlanPoll(state, parsed, p, match))
		if errors.Is(err, ErrConflict) && attempt < maxPlanAttempts {
			continue
		}
		return res, err
	}
}

// BacklogState is what settling the outbox's backlog is planned on.
type BacklogState struct {
	// Now is the store's clock when the state was read.
	Now time.Time
	// Pending lists the pending announcements (episodes and summaries; digests
	// are left alone) that no dispatcher holds and that no attempt may have
	// posted, subscription by subscription, each in enqueue order.
	Pending []Delivery
	// FirstSeen says when the store first saw each episode they announce.
	FirstSeen map[int64]time.Time
}

// BacklogPlan is what settling the backlog changes, as PlanBacklog decided it.
type BacklogPlan struct {
	// Expire lists the announcements dropped whole (StatusExpired): every
	// episode they announce is older than the max age.
	Expire []ExpiredDelivery
	// Merges lists the summaries to enqueue, each replacing one subscription's
	// backlog.
	Merges []BacklogMerge
	// Expired is the result's list of what was dropped, subscription by
	// subscription (the Merged part is known once the summaries have ids).
	Expired []ExpiredBacklog
}

// Empty says whether the plan changes nothing.
func (p BacklogPlan) Empty() bool { return len(p.Expire) == 0 && len(p.Merges) == 0 }

// ExpiredDelivery is a pending announcement a backlog plan drops.
type ExpiredDelivery struct {
	ID     int64
	Reason string
}

// BacklogMerge is one summary a backlog plan enqueues in place of a
// subscription's pending announcements.
type BacklogMerge struct {
	Subscription Subscription
	// EpisodeIDs are the summary's episodes, oldest announcement first.
	EpisodeIDs []int64
	// DueAt is when the earliest of the replaced deliveries was due: the backlog
	// goes out when it would have.
	DueAt time.Time
	// Replaces lists the deliveries the summary replaces, in enqueue order.
	Replaces []ReplacedDelivery
}

// Key is the summary's dedupe key.
func (m BacklogMerge) Key() string { return AnnouncementKey(KindSummary, m.EpisodeIDs) }

// FallbackKey is the key the summary takes when the subscription already has a
// delivery keyed Key (these very episodes were summed up before, and that summary
// may be one of those replaced): unique, because a delivery is replaced once.
func (m BacklogMerge) FallbackKey() string {
	return m.Key() + "#" + strconv.FormatInt(m.Replaces[0].ID, 10)
}

// ReplacedDelivery is a pending announcement a summary replaces.
type ReplacedDelivery struct {
	ID int64
	// Dropped, when set, says why the delivery is expired rather than merged:
	// some of its episodes are too old, and its others move to the summary.
	Dropped string
}

// Outcome is the status and last error of the replaced delivery once the
// summary that replaces it is enqueued as delivery summaryID.
func (r ReplacedDelivery) Outcome(summaryID int64) (status, reason string) {
	if r.Dropped != "" {
		return StatusExpired, fmt.Sprintf("%s; the others moved to summary delivery %d", r.Dropped, summaryID)
	}
	return StatusMerged, fmt.Sprintf("merged into summary delivery %d with the rest of the channel's backlog", summaryID)
}

// PlanBacklog decides how to settle a backlog of announcements (piled up during an
// outage, or for a platform configured but not connected) so that it does not
// flood a channel when it is finally posted:
//
//   - an episode first seen more than maxAge before st.Now is not announced any
//     more: an announcement of only such episodes is dropped (StatusExpired), and
//     a summary with some is dropped too, its other episodes moving to a new
//     summary; maxAge <= 0 drops nothing;
//   - a subscription's remaining announcements, when there are several and they
//     name more than floodLimit episodes (or are more than floodLimit messages),
//     are replaced (StatusMerged) by one summary of their episodes, oldest first.
//
// Age counts from the episode, not the delivery, so that a summary of a long
// backlog loses its stale episodes, not its fresh ones. Due or not, announcements
// count: retries scatter a backlog's due times, and it would otherwise trickle out
// one message at a time. The plan of a settled backlog is empty.
func PlanBacklog(st BacklogState, floodLimit int, maxAge time.Duration) BacklogPlan {
	limit := max(floodLimit, 1)
	var plan BacklogPlan
	for _, g := range bySubscription(st.Pending) {
		items, expire, exp := expireBacklog(g, st, maxAge)
		plan.Expire = append(plan.Expire, expire...)
		if exp.Deliveries > 0 {
			plan.Expired = append(plan.Expired, exp)
		}
		if m, ok := mergeBacklog(items, limit); ok {
			plan.Merges = append(plan.Merges, m)
		}
	}
	return plan
}

// bySubscription splits deliveries sorted by subscription into one group per
// subscription.
func bySubscription(dls []Delivery) [][]Delivery {
	var groups [][]Delivery
	for _, dl := range dls {
		if n := len(groups); n > 0 && groups[n-1][0].Subscription.ID == dl.Subscription.ID {
			groups[n-1] = append(groups[n-1], dl)
		} else {
			groups = append(groups, []Delivery{dl})
		}
	}
	return groups
}

// backlogItem is a pending announcement with the episodes it may still announce.
type backlogItem struct {
	Delivery
	fresh []int64
	// dropped is the reason it is expired while some of its episodes are still
	// fresh; they go on in a new summary.
	dropped string
}

// expireBacklog picks, among one subscription's deliveries, those whose episodes
// were all first seen more than maxAge before now (to drop) and those with some
// such episodes (a summary of a long backlog: dropped, their fresh episodes going
// on). It returns every delivery that still has episodes to announce.
func expireBacklog(g []Delivery, st BacklogState, maxAge time.Duration) ([]backlogItem, []ExpiredDelivery, ExpiredBacklog) {
	exp := ExpiredBacklog{Subscription: g[0].Subscription}
	items := make([]backlogItem, 0, len(g))
	if maxAge <= 0 {
		for _, dl := range g {
			items = append(items, backlogItem{Delivery: dl, fresh: dl.EpisodeIDs})
		}
		return items, nil, exp
	}
	cutoff := st.Now.Add(-maxAge).Unix()
	reason := fmt.Sprintf("not posted within %s; dropped", ageText(maxAge))
	var expire []ExpiredDelivery
	for _, dl := range g {
		it := backlogItem{Delivery: dl}
		for _, id := range dl.EpisodeIDs {
			at, ok := st.FirstSeen[id]
			if !ok {
				at = dl.CreatedAt
			}
			if at.Unix() >= cutoff {
				it.fresh = append(it.fresh, id)
			}
		}
		stale := len(dl.EpisodeIDs) - len(it.fresh)
		if stale == 0 {
			items = append(items, it)
			continue
		}
		exp.Deliveries++
		exp.Episodes += stale
		if len(it.fresh) == 0 {
			expire = append(expire, ExpiredDelivery{ID: dl.ID, Reason: reason})
			continue
		}
		it.dropped = fmt.Sprintf("%s %d of its episodes", reason, stale)
		items = append(items, it)
	}
	return items, expire, exp
}

// mergeBacklog plans one summary for one subscription's announcements when posting
// them would make more than limit messages, or announce more than limit episodes
// in several messages, or when some of them were dropped for their stale episodes
// and their fresh ones need a message. ok is false when they stay as they are.
func mergeBacklog(items []backlogItem, limit int) (m BacklogMerge, ok bool) {
	if len(items) == 0 {
		return BacklogMerge{}, false
	}
	seen := make(map[int64]bool)
	m = BacklogMerge{Subscription: items[0].Subscription, DueAt: items[0].DueAt}
	carried := false
	for _, it := range items {
		for _, id := range it.fresh {
			if !seen[id] {
				seen[id] = true
				m.EpisodeIDs = append(m.EpisodeIDs, id)
			}
		}
		if it.DueAt.Before(m.DueAt) {
			m.DueAt = it.DueAt
		}
		carried = carried || it.dropped != ""
		m.Replaces = append(m.Replaces, ReplacedDelivery{ID: it.ID, Dropped: it.dropped})
	}
	if !carried && (len(items) < 2 || (len(items) <= limit && len(m.EpisodeIDs) <= limit)) {
		return BacklogMerge{}, false
	}
	return m, true
}

// ageText says an age in words for a delivery's last error: "7 days", "36h0m0s".
func ageText(age time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case age == day:
		return "1 day"
	case age%day == 0:
		return fmt.Sprintf("%d days", age/day)
	}
	return age.String()
}

// BacklogSettler is what SettleBacklog needs of a store.
type BacklogSettler interface {
	// BacklogState reads what settling the backlog is planned on.
	BacklogState(ctx context.Context) (BacklogState, error)
	// ApplyBacklog applies a plan in one transaction, or returns ErrConflict and
	// changes nothing when a delivery of the plan is no longer one to settle
	// (claimed, posted, given up).
	ApplyBacklog(ctx context.Context, plan BacklogPlan) (BacklogResult, error)
}

// SettleBacklog keeps a backlog of announcements from flooding a channel when it
// is finally posted (see PlanBacklog), in one transaction. A settled outbox stays
// as it is: a second call changes nothing.
func SettleBacklog(ctx context.Context, st BacklogSettler, floodLimit int, maxAge time.Duration) (BacklogResult, error) {
	for attempt := 1; ; attempt++ {
		state, err := st.BacklogState(ctx)
		if err != nil {
			return BacklogResult{}, err
		}
		plan := PlanBacklog(state, floodLimit, maxAge)
		if plan.Empty() {
			return BacklogResult{}, nil
		}
		res, err := st.ApplyBacklog(ctx, plan)
		if errors.Is(err, ErrConflict) && attempt < maxPlanAttempts {
			continue
		}
		return res, err
	}
}
