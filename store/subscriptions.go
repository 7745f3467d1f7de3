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
	// Active is false once the channel unsubscribed, or was paused.
	Active bool
	// Paused says why the bot paused the subscription itself (its channel cannot
	// be posted to any more), or "".
	Paused string
}

const subscriptionColumns = `s.id, s.platform, s.channel, s.feed_id, s.language, s.digest_schedule, s.digest_tz, s.topics, s.active, s.paused`

func scanSubscriptionInto(dst []any, s *Subscription, topics *string) []any {
	return append(dst, &s.ID, &s.Platform, &s.Channel, &s.FeedID, &s.Language, &s.DigestSchedule, &s.DigestTimeZone, topics, &s.Active, &s.Paused)
}

func splitTopics(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// EnsureSubscription applies one subscription of the configuration: it creates it, or
// updates its settings and switches it on. A subscription a channel changed through a
// command (subscribe with topics, unsubscribe) is left as the channel chose: the
// configuration applied again at the next start does not undo it.
func (d *DB) EnsureSubscription(ctx context.Context, s Subscription) (Subscription, error) {
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if err := d.lockFeeds(ctx, tx, `id = ?`, s.FeedID); err != nil {
			return err
		}
		var err error
		s, err = d.ensureSubscription(ctx, tx, s)
		return err
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("store: subscribe %s %s: %w", s.Platform, s.Channel, err)
	}
	return s, nil
}

func (d *DB) ensureSubscription(ctx context.Context, tx *sql.Tx, s Subscription) (Subscription, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (platform, channel, feed_id, language, digest_schedule, digest_tz, topics, created_at, active, origin)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'config')
		ON CONFLICT (platform, channel, feed_id) DO UPDATE SET language = excluded.language, digest_schedule = excluded.digest_schedule, digest_tz = excluded.digest_tz, topics = excluded.topics,
			created_at = CASE WHEN subscriptions.active = 1 THEN subscriptions.created_at ELSE excluded.created_at END,
			active = 1, paused = '', origin = 'config'
		WHERE subscriptions.origin = 'config'`,
		s.Platform, s.Channel, s.FeedID, s.Language, s.DigestSchedule, s.DigestTimeZone, strings.Join(s.Topics, "\n"), d.now().Unix())
	if err != nil {
		return Subscription{}, err
	}
	err = tx.QueryRowContext(ctx, `SELECT id, active FROM subscriptions WHERE platform = ? AND channel = ? AND feed_id = ?`, s.Platform, s.Channel, s.FeedID).Scan(&s.ID, &s.Active)
	return s, err
}

// SyncConfigSubscriptions applies the configuration's subscriptions (see
// EnsureSubscription) and switches off those an earlier configuration declared and
// this one does not, giving up their pending deliveries: a channel removed from the
// configuration gets nothing more. Subscriptions made by commands are left alone.
func (d *DB) SyncConfigSubscriptions(ctx context.Context, subs []Subscription) ([]Subscription, error) {
	out := make([]Subscription, 0, len(subs))
	err := d.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		if err := d.lockFeeds(ctx, tx, ""); err != nil {
			return err
		}
		keep := make(map[int64]bool, len(subs))
		for _, s := range subs {
			s, err := d.ensureSubscription(ctx, tx, s)
			if err != nil {
				return err
			}
			keep[s.ID] = true
			out = append(out, s)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM subscriptions WHERE origin = 'config' AND active = 1`)
		if err != nil {
			return err
		}
		var drop []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if !keep[id] {
				drop = append(drop, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range drop {
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET active = 0 WHERE id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'dead', last_error = 'the subscription was removed from the configuration' WHERE status = 'pending' AND subscription_id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: apply configured subscriptions: %w", err)
	}
	return out, nil
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
		if err := d.lockFeeds(ctx, tx, `id = ?`, s.FeedID); err != nil {
			return err
		}
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
		_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (platform, channel, feed_id, language, digest_schedule, digest_tz, topics, created_at, active, origin)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'command')
			ON CONFLICT (platform, channel, feed_id) DO UPDATE SET language = excluded.language, digest_schedule = excluded.digest_schedule, digest_tz = excluded.digest_tz, topics = excluded.topics,
				created_at = CASE WHEN subscriptions.active = 1 THEN subscriptions.created_at ELSE excluded.created_at END, active = 1, paused = '', origin = 'command'`,
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
		if err := d.lockFeeds(ctx, tx, `id IN (SELECT feed_id FROM subscriptions WHERE platform = ? AND channel = ?)`, platform, channel); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE subscriptions SET active = 0, origin = 'command' WHERE platform = ? AND channel = ? AND active = 1`, platform, channel)
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

// PauseSubscription switches a subscription off because its channel cannot be
// posted to any more (deleted, archived, the app removed), keeping why, and gives
// up its pending deliveries. The channel subscribing again switches it back on.
func (d *DB) PauseSubscription(ctx context.Context, id int64, reason string) error {
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if err := d.lockFeeds(ctx, tx, `id IN (SELECT feed_id FROM subscriptions WHERE id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET active = 0, paused = ? WHERE id = ?`, reason, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'dead', claimed_until = 0, last_error = ? WHERE status = 'pending' AND subscription_id = ?`,
			"the subscription was paused: "+reason, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: pause subscription %d: %w", id, err)
	}
	return nil
}

// PausedSubscriptions returns the subscriptions the bot paused, for status.
func (d *DB) PausedSubscriptions(ctx context.Context) ([]Subscription, error) {
	return d.querySubscriptions(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s WHERE s.active = 0 AND s.paused <> '' ORDER BY s.id`)
}

// lockFeeds locks the rows of the feeds whose subscriptions a transaction
// changes (cond is a WHERE on feeds; every feed when ""), in id order, where
// writers run side by side (PostgreSQL's READ COMMITTED). ApplyPoll takes its
// feed's row before it reads the feed's subscriptions, so a poll applied at the
// same time either commits first (and the change then sees its deliveries) or
// sees the change and is refused as stale (ErrConflict). Nothing to do where
// one writer runs at a time.
func (d *DB) lockFeeds(ctx context.Context, tx *sql.Tx, cond string, args ...any) error {
	if d.sql.lockFeedRow == "" {
		return nil
	}
	q := `SELECT id FROM feeds`
	if cond != "" {
		q += ` WHERE ` + cond
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`+d.sql.lockFeedRow, args...)
	if err != nil {
		return fmt.Errorf("lock feeds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func (d *DB) querySubscriptions(ctx context.Context, query string, args ...any) ([]Subscription, error) {
	return querySubscriptions(ctx, d.db, query, args...)
}

// activeSubscriptions returns the active subscriptions of a feed, by id: those a
// poll announces to.
func activeSubscriptions(ctx context.Context, q querier, feedID int64) ([]Subscription, error) {
	return querySubscriptions(ctx, q, `SELECT `+subscriptionColumns+` FROM subscriptions s WHERE s.feed_id = ? AND s.active = 1 ORDER BY s.id`, feedID)
}

func querySubscriptions(ctx context.Context, q querier, query string, args ...any) ([]Subscription, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
