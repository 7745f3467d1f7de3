package store

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// stateOf is the PollState of a feed that recorded eps (each with its number as
// id) in polls polls, with subscriptions subs.
func stateOf(polls int, eps []feeds.Episode, subs ...Subscription) PollState {
	st := PollState{FeedID: 7, Polls: polls, Episodes: make(map[int64]KnownEpisode), Aliases: make(map[string]int64), Subscriptions: subs}
	for _, ep := range eps {
		id := int64(ep.Number)
		st.Episodes[id] = KnownEpisode{GUID: ep.GUID, Hash: ep.ContentHash()}
		for _, k := range feeds.Aliases(ep) {
			if _, ok := st.Aliases[k]; !ok {
				st.Aliases[k] = id
			}
		}
	}
	return st
}

// planText describes a poll plan in words: new episodes by GUID, rewrites and
// new keys by id, announcements as channel kind [GUIDs].
type planText struct {
	New           []string
	Updated       []int64
	Aliases       []string
	Announcements []string
	Reason        string
	Summary       bool
	Announced     int
}

func describePlan(p PollPlan) planText {
	out := planText{Reason: p.Reason, Summary: p.Summary, Announced: p.Announced}
	for _, e := range p.New {
		out.New = append(out.New, e.Episode.GUID)
	}
	for _, e := range p.Updated {
		out.Updated = append(out.Updated, e.ID)
	}
	for _, a := range p.Aliases {
		out.Aliases = append(out.Aliases, fmt.Sprintf("%d %s", a.EpisodeID, a.Key))
	}
	for _, a := range p.Announcements {
		var guids []string
		for _, n := range a.New {
			guids = append(guids, p.New[n].Episode.GUID)
		}
		out.Announcements = append(out.Announcements, fmt.Sprintf("%d %s [%s]", a.SubscriptionID, a.Kind, strings.Join(guids, " ")))
	}
	return out
}

// titleMatch is a stand-in for the search analysis: a topic matches a title word.
func titleMatch(ep feeds.Episode, topics []string) bool {
	for _, t := range topics {
		if strings.Contains(strings.ToLower(ep.Title), t) {
			return true
		}
	}
	return false
}

// PlanPoll is plain code: these are its decisions without a database.
func TestPlanPoll(t *testing.T) {
	two := []Subscription{{ID: 1}, {ID: 2}}
	moved := feedOf("a", 1, 2)
	moved[0].GUID = "a-guid-2-v2"
	stolen := ep(1, "a")
	stolen.AudioURL = ep(2, "a").AudioURL // an enclosure episode 2 holds
	tests := []struct {
		name   string
		state  PollState
		parsed []feeds.Episode
		policy feeds.Policy
		match  TopicMatcher
		want   planText
	}{{
		name:   "a first poll records everything and announces nothing",
		state:  stateOf(0, nil, two...),
		parsed: feedOf("a", 1, 2),
		policy: feeds.Policy{FloodLimit: 3},
		want:   planText{New: []string{"a-guid-2", "a-guid-1"}, Reason: feeds.ReasonFirstPoll},
	}, {
		name:   "an unchanged poll changes nothing",
		state:  stateOf(1, feedOf("a", 1, 2), two...),
		parsed: feedOf("a", 1, 2),
		policy: feeds.Policy{FloodLimit: 3},
	}, {
		name:   "new episodes go to each channel in turn, oldest first; a duplicate item is one episode",
		state:  stateOf(1, feedOf("a", 1), two...),
		parsed: append(feedOf("a", 1, 2, 3), ep(3, "a")),
		policy: feeds.Policy{FloodLimit: 3},
		want: planText{
			New:           []string{"a-guid-3", "a-guid-2"},
			Announcements: []string{"1 episode [a-guid-2]", "2 episode [a-guid-2]", "1 episode [a-guid-3]", "2 episode [a-guid-3]"},
			Announced:     2,
		},
	}, {
		name:   "a known episode with a new GUID is rewritten and takes the key",
		state:  stateOf(1, feedOf("a", 1, 2)),
		parsed: moved,
		policy: feeds.Policy{FloodLimit: 3},
		want:   planText{Updated: []int64{2}, Aliases: []string{"2 guid:a-guid-2-v2"}},
	}, {
		name:   "a key another episode holds stays with it",
		state:  stateOf(1, feedOf("a", 1, 2)),
		parsed: []feeds.Episode{stolen},
		policy: feeds.Policy{FloodLimit: 3},
		want:   planText{Updated: []int64{1}},
	}, {
		name:   "topics filter with a matcher, and the flood limit counts what a channel wants",
		state:  stateOf(1, feedOf("a", 1), Subscription{ID: 1}, Subscription{ID: 2, Topics: []string{"topic 3"}}),
		parsed: feedOf("a", 1, 2, 3, 4),
		policy: feeds.Policy{FloodLimit: 2},
		match:  titleMatch,
		want: planText{
			New:           []string{"a-guid-4", "a-guid-3", "a-guid-2"},
			Announcements: []string{"1 summary [a-guid-2 a-guid-3 a-guid-4]", "2 episode [a-guid-3]"},
			Summary:       true, Announced: 3,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := maps.Clone(tt.state.Aliases)
			plan := PlanPoll(tt.state, tt.parsed, tt.policy, tt.match)
			if diff := cmp.Diff(tt.want, describePlan(plan)); diff != "" {
				t.Errorf("PlanPoll (-want +got):\n%s", diff)
			}
			if plan.BasePolls != tt.state.Polls || plan.FeedID != tt.state.FeedID {
				t.Errorf("plan made on feed %d at %d polls, want feed %d at %d", plan.FeedID, plan.BasePolls, tt.state.FeedID, tt.state.Polls)
			}
			if diff := cmp.Diff(before, tt.state.Aliases); diff != "" {
				t.Errorf("PlanPoll changed the state's aliases (-before +after):\n%s", diff)
			}
		})
	}
}

// PlanBacklog is plain code too: its expiries and merges without a database.
func TestPlanBacklog(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sub := Subscription{ID: 3, Channel: "c0"}
	dl := func(id int64, kind string, eps ...int64) Delivery {
		return Delivery{ID: id, Subscription: sub, Kind: kind, EpisodeIDs: eps, DueAt: now.Add(time.Duration(id) * time.Minute), CreatedAt: now}
	}
	state := BacklogState{
		Now:     now,
		Pending: []Delivery{dl(10, KindEpisode, 1), dl(11, KindSummary, 2, 3, 4), dl(12, KindEpisode, 5)},
		// Episodes 1 and 2 are older than a week; the others fresh.
		FirstSeen: map[int64]time.Time{1: now.AddDate(0, 0, -8), 2: now.AddDate(0, 0, -8), 3: now, 4: now, 5: now},
	}
	plan := PlanBacklog(state, 3, 7*24*time.Hour)
	want := BacklogPlan{
		Expire: []ExpiredDelivery{{ID: 10, Reason: "not posted within 7 days; dropped"}},
		Merges: []BacklogMerge{{
			Subscription: sub, EpisodeIDs: []int64{3, 4, 5}, DueAt: now.Add(11 * time.Minute),
			Replaces: []ReplacedDelivery{{ID: 11, Dropped: "not posted within 7 days; dropped 1 of its episodes"}, {ID: 12}},
		}},
		Expired: []ExpiredBacklog{{Subscription: sub, Deliveries: 2, Episodes: 2}},
	}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Errorf("PlanBacklog (-want +got):\n%s", diff)
	}
	m := plan.Merges[0]
	if m.Key() != "summary:3,4,5" || m.FallbackKey() != "summary:3,4,5#11" {
		t.Errorf("keys = %q, %q; want summary:3,4,5 and its fallback #11", m.Key(), m.FallbackKey())
	}
	type outcome struct{ Status, Reason string }
	var got []outcome
	for _, r := range m.Replaces {
		s, why := r.Outcome(42)
		got = append(got, outcome{s, why})
	}
	wantOutcomes := []outcome{
		{StatusExpired, "not posted within 7 days; dropped 1 of its episodes; the others moved to summary delivery 42"},
		{StatusMerged, "merged into summary delivery 42 with the rest of the channel's backlog"},
	}
	if diff := cmp.Diff(wantOutcomes, got); diff != "" {
		t.Errorf("Outcome (-want +got):\n%s", diff)
	}
	if p := PlanBacklog(BacklogState{Now: now}, 3, time.Hour); !p.Empty() {
		t.Errorf("PlanBacklog of nothing = %+v, want an empty plan", p)
	}
}
