package commands

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/pmbot/pmbot/feeds"
)

const (
	// maxTopics and maxTopicLen keep topic filters a filter, not a document: each
	// is matched against every new episode, and listed in `subscriptions`.
	maxTopics   = 10
	maxTopicLen = 50
	// maxStatusError caps an error quoted by `status`: enough to act on, short
	// enough for a chat.
	maxStatusError = 200
)

func (h *handlers) subscribe(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	if !req.CanManage {
		return Reply{}, Errorf("you need permission to manage this channel to change its subscriptions")
	}
	topics, err := parseTopics(req.Args)
	if err != nil {
		return Reply{}, err
	}
	info, created, err := h.deps.Subscriptions.Subscribe(ctx, req.Platform, req.ChannelID, topics)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Subscribed")}
	if !created {
		rep.Header = t.S("Subscription updated")
	}
	feed := t.feed(info.FeedTitle)
	if len(info.Topics) > 0 {
		rep.Text = t.S("New episodes of %s about %s will be announced here; others will not.", feed, strings.Join(info.Topics, ", "))
	} else {
		rep.Text = t.S("Every new episode of %s will be announced here.", feed)
	}
	rep.Fields = t.subscriptionFields(info)
	// Private is false: a change to what a channel receives is everyone's business.
	return rep, nil
}

// parseTopics validates topic filters and folds them (case, accents, punctuation)
// the way episodes are matched. Commas separate topics as spaces do.
func parseTopics(args []string) ([]string, error) {
	var raw []string
	for _, a := range args {
		for _, p := range strings.Split(a, ",") {
			raw = append(raw, strings.Fields(p)...)
		}
	}
	var topics []string
	seen := make(map[string]bool)
	for _, r := range raw {
		if n := utf8.RuneCountInString(r); n > maxTopicLen {
			return nil, Errorf("the topic %q is too long (%d characters; the limit is %d)", clip(r, 30), n, maxTopicLen)
		}
		f := feeds.FoldTitle(r)
		if f == "" {
			return nil, Errorf("the topic %q has no letters or digits", clip(r, 30))
		}
		if !seen[f] {
			seen[f] = true
			topics = append(topics, f)
		}
	}
	if len(topics) > maxTopics {
		return nil, Errorf("too many topics (%d; the limit is %d)", len(topics), maxTopics)
	}
	return topics, nil
}

func (h *handlers) unsubscribe(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	if !req.CanManage {
		return Reply{}, Errorf("you need permission to manage this channel to change its subscriptions")
	}
	if len(req.Args) > 0 {
		return Reply{}, Errorf("`unsubscribe` takes no arguments; to follow fewer topics, run `subscribe` with the ones to keep")
	}
	removed, err := h.deps.Subscriptions.Unsubscribe(ctx, req.Platform, req.ChannelID)
	if err != nil {
		return Reply{}, err
	}
	if !removed {
		// Nothing changed, so nothing to tell the channel.
		return Reply{Text: t.S("This channel had no subscription; nothing changed."), Private: true}, nil
	}
	return Reply{Header: t.S("Unsubscribed"), Text: t.S("New episodes will no longer be announced here.")}, nil
}

func (h *handlers) subscriptions(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	subs, err := h.deps.Subscriptions.List(ctx, req.Platform, req.ChannelID)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Subscriptions of this channel"), Private: true, Shareable: true}
	if len(subs) == 0 {
		rep.Text = t.S("This channel follows no podcast; someone who manages it can run `subscribe`.")
		return rep, nil
	}
	for _, s := range subs {
		if len(subs) > 1 {
			rep.Fields = append(rep.Fields, Field{Name: t.S("Podcast"), Value: t.feed(s.FeedTitle)})
		} else {
			rep.Text = t.S("This channel follows %s.", t.feed(s.FeedTitle))
		}
		rep.Fields = append(rep.Fields, t.subscriptionFields(s)...)
	}
	return rep, nil
}

// subscriptionFields describes a subscription: its topics, language and digest.
func (t tr) subscriptionFields(s SubscriptionInfo) []Field {
	topics := t.S("all episodes")
	if len(s.Topics) > 0 {
		topics = strings.Join(s.Topics, ", ")
	}
	digest := t.S("off")
	if s.DigestSchedule != "" {
		digest = t.Schedule(s.DigestSchedule, s.DigestTimeZone)
	}
	return []Field{
		{Name: t.S("Topics"), Value: topics},
		{Name: t.S("Language"), Value: t.LanguageName(s.Language)},
		{Name: t.S("Weekly digest"), Value: digest},
	}
}

func (h *handlers) digest(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	p, err := h.deps.Digests.Preview(ctx, req.Platform, req.ChannelID)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Digest preview"), Private: true, Shareable: true}
	switch {
	case p.Archive && len(p.Episodes) > 0:
		rep.Header = t.S("From the archive")
		rep.Text = t.S("No new episode since %s: the digest will bring back this one.", t.Date(p.Since))
	case len(p.Episodes) == 0:
		rep.Text = t.S("No new episode since %s.", t.Date(p.Since))
	default:
		rep.Text = t.S("Since %s: %d new episodes", t.Date(p.Since), len(p.Episodes))
	}
	for _, ep := range p.Episodes {
		rep.Fields = append(rep.Fields, Field{Name: Label(ep), Value: FirstTakeaway(ep)})
	}
	next := t.S("none scheduled for this channel")
	if !p.Next.IsZero() {
		next = t.DateTime(p.Next)
	}
	rep.Fields = append(rep.Fields, Field{Name: t.S("Next digest"), Value: next})
	return rep, nil
}

// FirstTakeaway is the line a digest shows for an episode: its first takeaway,
// else its summary.
func FirstTakeaway(ep feeds.Episode) string {
	if len(ep.Notes.Takeaways) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		return ep.Notes.Takeaways[0]
	}
	return ep.Notes.Summary
}

func (h *handlers) status(ctx context.Context, req Request) (Reply, error) {
	t := h.msgs.tr(req)
	st, err := h.deps.Status.Status(ctx)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Header: t.S("Status"), Private: true}
	version := st.Version
	if version == "" {
		version = t.S("unknown")
	}
	rep.Fields = append(rep.Fields, Field{Name: t.S("Version"), Value: version})
	for _, f := range st.Feeds {
		name := f.Title
		if name == "" {
			name = f.Name
		}
		last := t.S("never")
		if !f.LastPolled.IsZero() {
			last = t.DateTime(f.LastPolled.UTC())
		}
		v := t.S("%d episodes · last poll: %s", f.Episodes, last)
		if !f.NextPoll.IsZero() {
			v += " · " + t.S("next poll: %s", t.DateTime(f.NextPoll.UTC()))
		}
		if f.Failures > 0 {
			v += " · " + t.S("%d failed polls in a row", f.Failures)
		}
		if f.LastError != "" {
			v += " · " + t.S("last error: %s", clip(f.LastError, maxStatusError))
		}
		rep.Fields = append(rep.Fields, Field{Name: t.feed(name), Value: v})
	}
	deliveries := t.S("%d waiting, %d given up", st.Pending, st.Dead)
	if st.Expired > 0 {
		// Shown once there are some: news that old is dropped on purpose (no
		// floods), and an admin should see how much was.
		deliveries += ", " + t.S("%d dropped as too old", st.Expired)
	}
	rep.Fields = append(rep.Fields, Field{Name: t.S("Deliveries"), Value: deliveries})
	if st.LastDead != "" {
		rep.Fields = append(rep.Fields, Field{Name: t.S("Last given up"), Value: clip(st.LastDead, maxStatusError)})
	}
	for _, p := range st.Paused {
		rep.Fields = append(rep.Fields, Field{Name: t.S("Paused"), Value: t.S("%s channel %s: %s; subscribe the channel again to resume", p.Platform, p.Channel, clip(p.Reason, maxStatusError))})
	}
	if st.Damaged > 0 {
		rep.Fields = append(rep.Fields, Field{Name: t.S("Damaged episodes"), Value: t.S("%d left out of every answer; the bot's log names them", st.Damaged)})
	}
	return rep, nil
}
