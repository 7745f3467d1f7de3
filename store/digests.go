package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// KindDigestArchive is a digest for a period with no new episode: it brings one
// episode from the back catalogue instead (KindDigest is the usual digest).
const KindDigestArchive = "digest-archive"

// DigestEntry is one digest to enqueue: the digest of one subscription for one
// period of its schedule.
type DigestEntry struct {
	SubscriptionID int64
	// Period names the scheduled slot the digest is for (its time in RFC 3339, UTC);
	// a (subscription, period) is enqueued once, however many schedulers try.
	Period string
	// At is the period's scheduled time. The next digest covers the episodes
	// published since the latest At, which LastDigest returns.
	At time.Time
	// Kind is KindDigest or KindDigestArchive; ignored when EpisodeIDs is empty.
	Kind string
	// EpisodeIDs are the episodes to post, in order. Empty records the period as
	// done with nothing to post (a topic filter matched nothing, or the period came
	// before the channel subscribed), so it is not composed again.
	EpisodeIDs []int64
}

// EnqueueDigest records the digest of a (subscription, period) and, in the same
// transaction, enqueues its delivery, due now. When that period is already
// recorded (the bot ran it before, or another scheduler was first) it does nothing
// and returns created=false: the primary key on (subscription, period) is what
// makes the digest exactly-once, not the caller's care.
func (d *DB) EnqueueDigest(ctx context.Context, e DigestEntry) (created bool, err error) {
	if e.Period == "" {
		return false, fmt.Errorf("store: enqueue digest for subscription %d: empty period", e.SubscriptionID)
	}
	if len(e.EpisodeIDs) > 0 && e.Kind != KindDigest && e.Kind != KindDigestArchive {
		return false, fmt.Errorf("store: enqueue digest %s for subscription %d: kind %q is not a digest", e.Period, e.SubscriptionID, e.Kind)
	}
	now := d.now().Unix()
	err = d.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO digests (subscription_id, period, period_at, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			e.SubscriptionID, e.Period, unix(e.At), now)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		created = true
		if len(e.EpisodeIDs) == 0 {
			return nil
		}
		// A plain insert: a delivery with this key but no digest row would be a bug,
		// and failing the transaction says so instead of posting twice.
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			e.SubscriptionID, e.Kind, KindDigest+":"+e.Period, joinIDs(e.EpisodeIDs), now, now).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE digests SET delivery_id = ? WHERE subscription_id = ? AND period = ?`, id, e.SubscriptionID, e.Period)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: enqueue digest %s for subscription %d: %w", e.Period, e.SubscriptionID, err)
	}
	return created, nil
}

// LastDigest returns the latest period recorded for a subscription and its
// scheduled time; ok is false when the subscription never had a digest.
func (d *DB) LastDigest(ctx context.Context, subID int64) (period string, at time.Time, ok bool, err error) {
	var sec int64
	err = d.db.QueryRowContext(ctx, `SELECT period, period_at FROM digests WHERE subscription_id = ? ORDER BY period_at DESC, period DESC LIMIT 1`, subID).Scan(&period, &sec)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("store: last digest of subscription %d: %w", subID, err)
	}
	return period, fromUnix(sec), true, nil
}

// ArchivePicks returns the episodes enqueued as "from the archive" digests for a
// subscription since the given time, oldest pick first, so the next pick can avoid
// them (or take the least recently picked when every episode was).
func (d *DB) ArchivePicks(ctx context.Context, subID int64, since time.Time) ([]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT episode_ids FROM deliveries WHERE subscription_id = ? AND kind = ? AND created_at >= ? ORDER BY created_at, id`,
		subID, KindDigestArchive, unix(since))
	if err != nil {
		return nil, fmt.Errorf("store: archive picks of subscription %d: %w", subID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: archive picks of subscription %d: %w", subID, err)
		}
		ids, err := splitIDs(s)
		if err != nil {
			return nil, fmt.Errorf("store: archive picks of subscription %d: %w", subID, err)
		}
		out = append(out, ids...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: archive picks of subscription %d: %w", subID, err)
	}
	return out, nil
}

// SubscriptionsWithDigest returns the active subscriptions that have a digest
// schedule.
func (d *DB) SubscriptionsWithDigest(ctx context.Context) ([]Subscription, error) {
	subs, err := d.querySubscriptions(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s WHERE s.active = 1 AND s.digest_schedule <> '' ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions with a digest: %w", err)
	}
	return subs, nil
}

// SubscribedAt returns when a subscription was created, so that a channel's first
// digest is not one for a period that ended before it subscribed.
func (d *DB) SubscribedAt(ctx context.Context, subID int64) (time.Time, error) {
	var sec int64
	err := d.db.QueryRowContext(ctx, `SELECT created_at FROM subscriptions WHERE id = ?`, subID).Scan(&sec)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: subscription %d: %w", subID, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: subscription %d: %w", subID, err)
	}
	return fromUnix(sec), nil
}

// EpisodesSince returns a feed's episodes published in [since, until), oldest
// first: the episodes of one digest period. Damaged rows are left out (see
// DamagedEpisodes).
func (d *DB) EpisodesSince(ctx context.Context, feedID int64, since, until time.Time) ([]Episode, error) {
	eps, _, err := d.queryEpisodes(ctx, 0, `SELECT `+episodeColumns+` FROM episodes WHERE feed_id = ? AND published >= ? AND published < ? ORDER BY published, id`,
		feedID, since.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: episodes since %s: %w", since.Format(time.RFC3339), err)
	}
	return eps, nil
}
