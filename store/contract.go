package store

import (
	"context"
	"time"
)

// Store is what the rest of pmbot needs from a store, whatever its engine: *DB
// (SQLite or PostgreSQL, by its dialect) is one, and the conformance suite
// storetest.Run holds every engine to the same behaviour. The bot's parts each declare the few methods they
// use (bot.PollStore, bot.OutboxStore …); Store is all of them, what cmd/pmbot
// hands them.
//
// The business rules are not the engine's: RecordPoll and SettleBacklog read
// the state (PollState, BacklogState), decide in plain code (PlanPoll,
// PlanBacklog) and have the engine apply the plan in one transaction (ApplyPoll,
// ApplyBacklog), which refuses a plan made on a state that changed
// (ErrConflict). An engine reports a missing row with ErrNotFound, and a lost
// claim with ErrClaimLost.
type Store interface {
	// Feeds and their fetch state.
	EnsureFeed(ctx context.Context, name, source string) (Feed, error)
	FeedByName(ctx context.Context, name string) (Feed, error)
	Feeds(ctx context.Context) ([]Feed, error)
	SaveFeedState(ctx context.Context, f Feed) error
	FeedTitle(ctx context.Context, feedID int64) (string, error)

	// Polls (see RecordPoll) and episodes.
	PollRecorder
	ContentHashes(ctx context.Context, feedID int64) (map[string]string, error)
	Latest(ctx context.Context, feedID int64, n int) ([]Episode, error)
	Episodes(ctx context.Context, feedID int64) ([]Episode, error)
	EachEpisode(ctx context.Context, feedID int64, fn func(Episode) error) error
	EpisodeByNumber(ctx context.Context, feedID int64, n int) (Episode, error)
	EpisodesByNumberPrefix(ctx context.Context, feedID int64, digits string, limit int) ([]Episode, error)
	EpisodesByID(ctx context.Context, ids []int64) ([]Episode, error)
	EpisodeCards(ctx context.Context, ids []int64) ([]Episode, error)
	SearchIndex(ctx context.Context) (SavedIndex, error)
	SearchPostings(ctx context.Context, gen int64, stem bool, term uint32) ([]byte, error)
	SaveSearchIndex(ctx context.Context, version string, header []byte, words, stems [][]byte) (int64, error)
	EpisodesSince(ctx context.Context, feedID int64, since, until time.Time) ([]Episode, error)
	CountEpisodes(ctx context.Context, feedID int64) (int, error)
	DamagedEpisodes(ctx context.Context) (int, error)

	// Subscriptions.
	EnsureSubscription(ctx context.Context, s Subscription) (Subscription, error)
	SyncConfigSubscriptions(ctx context.Context, subs []Subscription) ([]Subscription, error)
	Subscriptions(ctx context.Context, feedID int64) ([]Subscription, error)
	SubscriptionsOf(ctx context.Context, platform, channel string) ([]Subscription, error)
	Subscribe(ctx context.Context, s Subscription) (sub Subscription, created bool, err error)
	Unsubscribe(ctx context.Context, platform, channel string) (removed bool, err error)
	PauseSubscription(ctx context.Context, id int64, reason string) error
	PausedSubscriptions(ctx context.Context) ([]Subscription, error)
	SubscriptionsWithDigest(ctx context.Context) ([]Subscription, error)
	SubscribedAt(ctx context.Context, subID int64) (time.Time, error)

	// The outbox (see SettleBacklog for its backlog).
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error)
	MarkSent(ctx context.Context, c Claim, messageID string) error
	MarkRetry(ctx context.Context, c Claim, reason string, at time.Time, mayHavePosted bool) error
	MarkDead(ctx context.Context, c Claim, reason string) error
	ReleaseClaims(ctx context.Context, claims []Claim) error
	Deliveries(ctx context.Context, status string) ([]Delivery, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	Health(ctx context.Context) (OutboxHealth, error)
	PruneDeliveries(ctx context.Context, before time.Time) (int64, error)
	BacklogSettler

	// Digests.
	EnqueueDigest(ctx context.Context, e DigestEntry) (created bool, err error)
	LastDigest(ctx context.Context, subID int64) (period string, at time.Time, ok bool, err error)
	ArchivePicks(ctx context.Context, subID int64, since time.Time) ([]int64, error)

	// ReadOnly says whether every write fails (the store was opened for reading
	// only); Close releases the store.
	ReadOnly() bool
	Close() error
}

var _ Store = (*DB)(nil)
