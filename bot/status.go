package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// StatusStore is what Status reads.
type StatusStore interface {
	Feeds(ctx context.Context) ([]store.Feed, error)
	CountEpisodes(ctx context.Context, feedID int64) (int, error)
	Health(ctx context.Context) (store.OutboxHealth, error)
	DamagedEpisodes(ctx context.Context) (int, error)
	PausedSubscriptions(ctx context.Context) ([]store.Subscription, error)
}

// Status reports the bot's health to the status command.
type Status struct {
	Store   StatusStore
	Version string
	// Followed, when set, names the feeds to report: the database also keeps feeds
	// no longer followed (renamed, retired, or read once with --feed).
	Followed []string
}

var _ commands.Statuser = Status{}

// Status returns every feed's health and the outbox's.
func (s Status) Status(ctx context.Context) (commands.StatusInfo, error) {
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return commands.StatusInfo{}, fmt.Errorf("bot: status: %w", err)
	}
	info := commands.StatusInfo{Version: s.Version}
	for _, f := range fs {
		if s.Followed != nil && !slices.Contains(s.Followed, f.Name) {
			continue
		}
		n, err := s.Store.CountEpisodes(ctx, f.ID)
		if err != nil {
			return commands.StatusInfo{}, fmt.Errorf("bot: status: %w", err)
		}
		info.Feeds = append(info.Feeds, commands.FeedStatus{
			Name: f.Name, Title: f.Title, URL: feeds.RedactURL(f.URL), Episodes: n,
			LastPolled: f.LastPolledAt, NextPoll: f.NextPollAt, Failures: f.Failures, LastError: f.LastError,
		})
	}
	h, err := s.Store.Health(ctx)
	if err != nil {
		return commands.StatusInfo{}, fmt.Errorf("bot: status: %w", err)
	}
	info.Pending, info.Dead, info.Expired, info.LastDead = h.Pending, h.Dead, h.Expired, h.LastDead
	if info.Damaged, err = s.Store.DamagedEpisodes(ctx); err != nil {
		return commands.StatusInfo{}, fmt.Errorf("bot: status: %w", err)
	}
	paused, err := s.Store.PausedSubscriptions(ctx)
	if err != nil {
		return commands.StatusInfo{}, fmt.Errorf("bot: status: %w", err)
	}
	for _, p := range paused {
		info.Paused = append(info.Paused, commands.PausedChannel{Platform: p.Platform, Channel: p.Channel, Reason: p.Paused})
	}
	return info, nil
}
