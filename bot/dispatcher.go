package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// Announcement is a platform-neutral message about new episodes, which an adapter
// renders for its platform.
type Announcement struct {
	// Kind is store.KindEpisode (one episode) or store.KindSummary (several).
	Kind      string
	FeedTitle string
	Episodes  []feeds.Episode
	Language  string
}

// Poster posts announcements to one platform's channels.
type Poster interface {
	// Post posts a to channel and returns the platform's id of the message.
	Post(ctx context.Context, channel string, a Announcement) (messageID string, err error)
}

// PermanentError marks a post failure that retrying cannot fix (a deleted channel, a
// bot removed from it): the delivery is given up with this reason.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryAfterError asks the dispatcher to wait before posting again (a 429).
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// OutboxStore is what the dispatcher needs from the store.
type OutboxStore interface {
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error)
	EpisodesByID(ctx context.Context, ids []int64) ([]store.Episode, error)
	FeedTitle(ctx context.Context, feedID int64) (string, error)
	MarkSent(ctx context.Context, id int64, messageID string) error
	MarkRetry(ctx context.Context, id int64, reason string, at time.Time) error
	MarkDead(ctx context.Context, id int64, reason string) error
}

// Dispatcher posts the outbox's due deliveries through the platform posters.
type Dispatcher struct {
	Store   OutboxStore
	Posters map[string]Poster
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxAttempts is how many failed posts make a delivery dead; 12 when 0.
	MaxAttempts int
}

// Sent is a delivery the dispatcher posted.
type Sent struct {
	Delivery  store.Delivery
	Episodes  []feeds.Episode
	MessageID string
}

const (
	// claimBatch is small so that one slow channel holds few deliveries in its lease.
	claimBatch = 10
	// claimLease bounds how long a post may take before another dispatcher may try
	// the delivery again.
	claimLease = 2 * time.Minute
)

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// DispatchDue posts every due delivery and returns those it sent. A failed post is
// scheduled again or given up; only a store failure stops the run.
func (d *Dispatcher) DispatchDue(ctx context.Context) ([]Sent, error) {
	var sent []Sent
	// A channel that answered "slow down" gets nothing more in this run, so its
	// messages keep their order instead of overtaking the one that waits.
	blocked := make(map[string]time.Time)
	for {
		batch, err := d.Store.ClaimDue(ctx, claimBatch, claimLease)
		if err != nil {
			return sent, fmt.Errorf("bot: dispatch: %w", err)
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, dl := range batch {
			key := dl.Subscription.Platform + "\x00" + dl.Subscription.Channel
			if until, ok := blocked[key]; ok {
				if err := d.Store.MarkRetry(ctx, dl.ID, "waiting for an earlier message to this channel", until); err != nil {
					return sent, err
				}
				continue
			}
			s, retryAt, err := d.deliver(ctx, dl)
			if err != nil {
				return sent, err
			}
			if s != nil {
				sent = append(sent, *s)
			}
			if !retryAt.IsZero() {
				blocked[key] = retryAt
			}
		}
	}
}

// deliver posts one delivery. It returns what was sent, or when the delivery will be
// tried again.
func (d *Dispatcher) deliver(ctx context.Context, dl store.Delivery) (*Sent, time.Time, error) {
	log := d.Logger.With("delivery", dl.ID, "platform", dl.Subscription.Platform, "channel", dl.Subscription.Channel, "kind", dl.Kind)
	stored, err := d.Store.EpisodesByID(ctx, dl.EpisodeIDs)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("bot: dispatch %d: %w", dl.ID, err)
	}
	title, err := d.Store.FeedTitle(ctx, dl.Subscription.FeedID)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("bot: dispatch %d: %w", dl.ID, err)
	}
	a := Announcement{Kind: dl.Kind, FeedTitle: title, Language: dl.Subscription.Language}
	for _, e := range stored {
		a.Episodes = append(a.Episodes, e.Episode)
	}
	poster, ok := d.Posters[dl.Subscription.Platform]
	if !ok {
		// The platform may be configured again later: keep the delivery, slowly.
		reason := fmt.Sprintf("platform %s is not configured", dl.Subscription.Platform)
		at := d.now().Add(time.Hour)
		return nil, at, d.Store.MarkRetry(ctx, dl.ID, reason, at)
	}
	msgID, err := poster.Post(ctx, dl.Subscription.Channel, a)
	if err == nil {
		if err := d.Store.MarkSent(ctx, dl.ID, msgID); err != nil {
			return nil, time.Time{}, err
		}
		log.Debug("delivered", "message_id", msgID)
		return &Sent{Delivery: dl, Episodes: a.Episodes, MessageID: msgID}, time.Time{}, nil
	}
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and the delivery is retried at start.
		return nil, time.Time{}, ctx.Err()
	}
	maxAttempts := d.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = 12
	}
	var perm *PermanentError
	if errors.As(err, &perm) || dl.Attempts >= maxAttempts {
		log.Error("delivery given up", "attempts", dl.Attempts, "err", err)
		return nil, time.Time{}, d.Store.MarkDead(ctx, dl.ID, err.Error())
	}
	wait := retryDelay(dl.Attempts)
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > wait {
		wait = ra.After
	}
	log.Warn("delivery failed; will retry", "attempts", dl.Attempts, "retry_in", wait, "err", err)
	at := d.now().Add(wait)
	return nil, at, d.Store.MarkRetry(ctx, dl.ID, err.Error(), at)
}

// retryDelay backs off from 10 s to an hour.
func retryDelay(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
