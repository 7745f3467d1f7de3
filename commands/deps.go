package commands

import (
	"context"
	"time"

	"github.com/pmbot/pmbot/feeds"
)

// Hit is one search result.
type Hit struct {
	Episode feeds.Episode
	Score   float64
	// Snippet is a short excerpt; fragments with Match set are the matched words,
	// which renderers mark (bold).
	Snippet []Fragment
}

// Fragment is a piece of a snippet.
type Fragment struct {
	Text  string
	Match bool
}

// Searcher finds episodes by words, in French or English.
type Searcher interface {
	Search(ctx context.Context, query string, limit int) ([]Hit, error)
}

// SubscriptionInfo describes one subscription of a channel.
type SubscriptionInfo struct {
	Feed           string
	FeedTitle      string
	Topics         []string
	Language       string
	DigestSchedule string // cron spec; "" when the digest is off
	DigestTimeZone string
}

// Subscriptions changes and lists what a channel follows.
type Subscriptions interface {
	// Subscribe subscribes the channel to the default feed with optional topic
	// filters (replacing earlier ones); created is false when it only updated.
	Subscribe(ctx context.Context, platform, channel string, topics []string) (info SubscriptionInfo, created bool, err error)
	// Unsubscribe removes the channel's subscriptions; removed is false when it had none.
	Unsubscribe(ctx context.Context, platform, channel string) (removed bool, err error)
	// List returns the channel's subscriptions.
	List(ctx context.Context, platform, channel string) ([]SubscriptionInfo, error)
}

// FeedStatus is the health of one followed feed.
type FeedStatus struct {
	Name       string
	Title      string
	URL        string
	Episodes   int
	LastPolled time.Time
	NextPoll   time.Time
	Failures   int
	LastError  string
}

// StatusInfo is what `status` reports.
type StatusInfo struct {
	Version  string
	Feeds    []FeedStatus
	Pending  int // deliveries waiting in the outbox
	Dead     int // deliveries given up
	Expired  int // announcements dropped because they waited too long to be posted
	LastDead string
	// Damaged counts stored episodes whose data cannot be read: they are left out
	// of every answer until a poll rewrites them.
	Damaged int
	// Paused are the channels the bot stopped posting to, and why.
	Paused []PausedChannel
}

// PausedChannel is a subscription the bot paused because its channel could not
// be posted to any more.
type PausedChannel struct {
	Platform, Channel, Reason string
}

// Statuser reports the bot's health.
type Statuser interface {
	Status(ctx context.Context) (StatusInfo, error)
}

// DigestPreview is the digest a channel would get now.
type DigestPreview struct {
	Since    time.Time
	Episodes []feeds.Episode
	// Archive is true when the week had no episode and Episodes holds one from the
	// back catalogue instead.
	Archive bool
	// Next is when the channel's next digest is scheduled (zero when it has none).
	Next time.Time
}

// Digester previews a channel's digest.
type Digester interface {
	Preview(ctx context.Context, platform, channel string) (DigestPreview, error)
}
