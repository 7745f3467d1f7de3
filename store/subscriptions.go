package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Subscription is a channel on a platform that receives a feed's announcements.
type Subscription struct {
	ID       int64
	Platform string
	Channel  string
	FeedID   int64
	Language string
	// DigestSchedule is a cron spec; empty disables the digest.
	DigestSchedule string
	DigestTimeZone string
	// Topics, when set, restrict announcements to episodes matching one of them.
	Topics []string
	// Active is false once the channel unsubscribed.
	Active bool
}

const subscriptionColumns = `s.id, s.platform, s.channel, s.feed_id, s.language, s.digest_schedule, s.digest_tz, s.topics, s.active`

func scanSubscriptionInto(dst []any, s *Subscription, topics *string) []any {
	return append(dst, &s.ID, &s.Platform, &s.Channel, &s.FeedID, &s.Language, &s.DigestSchedule, &s.DigestTimeZone, topics, &s.Active)
}

func splitTopics(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// EnsureSubscription creates the subscription, or updates its settings when the
// (platform, channel, feed) already exists, and returns it with its id. It does not
// switch a subscription back on: a channel that unsubscribed through a command stays
// unsubscribed when the bot restarts with the same configuration.
func (d *DB) EnsureSubscription(ctx context.Context, s Subscription) (Subscription, error) {
	_, err := d.db.ExecContext(ctx, `INSERT INTO subscriptions (platform, channel, feed_id, language, digest_schedule, digest_tz, topics, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (platform, channel, feed_id) DO UPDATE SET language = excluded.language, digest_schedule = excluded.digest_schedule, digest_tz = excluded.digest_tz, topics = excluded.topics`,
		s.Platform, s.Channel, s.FeedID, s.Language, s.DigestSchedule, s.DigestTimeZone, strings.Join(s.Topics, "\n"), d.now().Unix())
	if err != nil {
		return Subscription{}, fmt.Errorf("store: subscribe %s %s: %w", s.Platform, s.Channel, err)
	}
	err = d.db.QueryRowContext(ctx, `SELECT id, active FROM subscriptions WHERE platform = ? AND channel = ? AND feed_id = ?`, s.Platform, s.Channel, s.FeedID).Scan(&s.ID, &s.Active)
	if err != nil {
		return Subscription{}, fmt.Errorf("store: subscribe %s %s: %w", s.Platform, s.Channel, err)
	}
	return s, nil
}

// Subscriptions returns the active subscriptions of a feed, or of every feed when
// feedID is 0.
func (d *DB) Subscriptions(ctx context.Context, feedID int64) ([]Subscription, error) {
	q := `SELECT ` + subscriptionColumns + ` FROM subscriptions s WHERE s.active = 1`
	var args []any
	if feedID != 0 {
		q += ` AND s.feed_id = ?`
		args = append(args, feedID)
	}
	return d.querySubscriptions(ctx, q+` ORDER BY s.id`, args...)
}

// SubscriptionsOf returns the active subscriptions of one channel.
func (d *DB) SubscriptionsOf(ctx context.Context, platform, channel string) ([]Subscription, error) {
	return d.querySubscriptions(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s WHERE s.active = 1 AND s.platform = ? AND s.channel = ? ORDER BY s.id`, platform, channel)
}

// Subscribe switches a channel's subscription to a feed on (creating it when new),
// with these topics and settings; created says whether it was off or missing.
func (d *DB) Subscribe(ctx context.Context, s Subscription) (sub Subscription, created bool, err error) {
	err = d.tx(ctx, func(tx *sql.Tx) error {
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT active FROM subscriptions WHERE platform = ? AND channel = ? AND feed_id = ?`, s.Platform, s.Channel, s.FeedID).Scan(&active)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
		case err != nil:
			return err
		default:
			created = !active
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (platform, channel, feed_id, language, digest_schedule, digest_tz, topics, created_at, active)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (platform, channel, feed_id) DO UPDATE SET language = excluded.language, digest_schedule = excluded.digest_schedule, digest_tz = excluded.digest_tz, topics = excluded.topics,
				created_at = CASE WHEN subscriptions.active = 1 THEN subscriptions.created_at ELSE excluded.created_at END, active = 1`,
			s.Platform, s.Channel, s.FeedID, s.Language, s.DigestSchedule, s.DigestTimeZone, strings.Join(s.Topics, "\n"), d.now().Unix())
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM subscriptions WHERE platform = ? AND channel = ? AND feed_id = ?`, s.Platform, s.Channel, s.FeedID).Scan(&s.ID)
	})
	if err != nil {
		return Subscription{}, false, fmt.Errorf("store: subscribe %s %s: %w", s.Platform, s.Channel, err)
	}
	s.Active = true
	return s, created, nil
}

// Unsubscribe switches off every subscription of a channel and gives up its pending
// deliveries; removed says whether there was any.
func (d *DB) Unsubscribe(ctx context.Context, platform, channel string) (removed bool, err error) {
	err = d.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE subscriptions SET active = 0 WHERE platform = ? AND channel = ? AND active = 1`, platform, channel)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		removed = n > 0
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'dead', last_error = 'the channel unsubscribed'
			WHERE status = 'pending' AND subscription_id IN (SELECT id FROM subscriptions WHERE platform = ? AND channel = ?)`, platform, channel)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe %s %s: %w", platform, channel, err)
	}
	return removed, nil
}

func (d *DB) querySubscriptions(ctx context.Context, query string, args ...any) ([]Subscription, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var s Subscription
		var topics string
		if err := rows.Scan(scanSubscriptionInto(nil, &s, &topics)...); err != nil {
			return nil, fmt.Errorf("store: subscriptions: %w", err)
		}
		s.Topics = splitTopics(topics)
		out = append(out, s)
	}
	return out, rows.Err()
}
