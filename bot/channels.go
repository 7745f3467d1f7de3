package bot

import (
	"context"
	"fmt"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/store"
)

// ChannelStore is what Channels changes.
type ChannelStore interface {
	FeedByName(ctx context.Context, name string) (store.Feed, error)
	FeedTitle(ctx context.Context, feedID int64) (string, error)
	Subscribe(ctx context.Context, s store.Subscription) (store.Subscription, bool, error)
	Unsubscribe(ctx context.Context, platform, channel string) (bool, error)
	SubscriptionsOf(ctx context.Context, platform, channel string) ([]store.Subscription, error)
}

// Channels lets the subscribe, unsubscribe and subscriptions commands manage what a
// channel follows. New subscriptions follow Feed with the given defaults.
type Channels struct {
	Store          ChannelStore
	Feed           string
	Language       string
	DigestSchedule string
	DigestTimeZone string
}

var _ commands.Subscriptions = Channels{}

// Subscribe subscribes the channel to the default feed with these topics.
func (c Channels) Subscribe(ctx context.Context, platform, channel string, topics []string) (commands.SubscriptionInfo, bool, error) {
	f, err := c.Store.FeedByName(ctx, c.Feed)
	if err != nil {
		return commands.SubscriptionInfo{}, false, fmt.Errorf("bot: subscribe: %w", err)
	}
	lang := c.Language
	if existing, err := c.Store.SubscriptionsOf(ctx, platform, channel); err == nil {
		for _, s := range existing {
			if s.FeedID == f.ID && s.Language != "" {
				lang = s.Language // a resubscription keeps the channel's language
			}
		}
	}
	s, created, err := c.Store.Subscribe(ctx, store.Subscription{
		Platform: platform, Channel: channel, FeedID: f.ID, Language: lang,
		DigestSchedule: c.DigestSchedule, DigestTimeZone: c.DigestTimeZone, Topics: topics,
	})
	if err != nil {
		return commands.SubscriptionInfo{}, false, fmt.Errorf("bot: subscribe: %w", err)
	}
	return c.info(ctx, s), created, nil
}

// Unsubscribe removes the channel's subscriptions.
func (c Channels) Unsubscribe(ctx context.Context, platform, channel string) (bool, error) {
	return c.Store.Unsubscribe(ctx, platform, channel)
}

// List returns the channel's subscriptions.
func (c Channels) List(ctx context.Context, platform, channel string) ([]commands.SubscriptionInfo, error) {
	subs, err := c.Store.SubscriptionsOf(ctx, platform, channel)
	if err != nil {
		return nil, fmt.Errorf("bot: subscriptions: %w", err)
	}
	out := make([]commands.SubscriptionInfo, 0, len(subs))
	for _, s := range subs {
		out = append(out, c.info(ctx, s))
	}
	return out, nil
}

func (c Channels) info(ctx context.Context, s store.Subscription) commands.SubscriptionInfo {
	title, err := c.Store.FeedTitle(ctx, s.FeedID)
	if err != nil {
		title = ""
	}
	return commands.SubscriptionInfo{
		FeedTitle: title, Topics: s.Topics, Language: s.Language,
		DigestSchedule: s.DigestSchedule, DigestTimeZone: s.DigestTimeZone,
	}
}
