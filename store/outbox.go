package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pmbot/pmbot/feeds"
)

// Delivery kinds.
const (
	KindEpisode = "episode" // one new episode
	KindSummary = "summary" // several new episodes in one message (flood guard)
	KindDigest  = "digest"  // the weekly digest
)

// Delivery statuses.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusDead    = "dead"
)

// Delivery is one message of the outbox.
type Delivery struct {
	ID           int64
	Subscription Subscription
	Kind         string
	DedupeKey    string
	EpisodeIDs   []int64
	Status       string
	Attempts     int
	DueAt        time.Time
	MessageID    string
	LastError    string
	CreatedAt    time.Time
	SentAt       time.Time
}

// enqueueAnnouncements adds, for every active subscription of the feed, one
// delivery per episode it wants (oldest first), or one summary of them when they
// are more than the flood limit. A subscription with topics wants only the episodes
// that match one. The unique (subscription, dedupe key) makes a second enqueue of the
// same thing a no-op.
func (d *DB) enqueueAnnouncements(ctx context.Context, tx *sql.Tx, feedID int64, ids []int64, eps []feeds.Episode, floodLimit int, now int64) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, topics FROM subscriptions WHERE feed_id = ? AND active = 1 ORDER BY id`, feedID)
	if err != nil {
		return 0, err
	}
	type sub struct {
		id     int64
		topics []string
	}
	var subs []sub
	for rows.Next() {
		var s sub
		var topics string
		if err := rows.Scan(&s.id, &topics); err != nil {
			rows.Close()
			return 0, err
		}
		s.topics = splitTopics(topics)
		subs = append(subs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	insert := func(sub int64, kind, key string, eps []int64) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			sub, kind, key, joinIDs(eps), now, now)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", key, err)
		}
		c, _ := r.RowsAffected()
		n += int(c)
		return nil
	}
	for _, s := range subs {
		wanted := ids
		if len(s.topics) > 0 && d.match != nil {
			wanted = nil
			for i, ep := range eps {
				if d.match(ep, s.topics) {
					wanted = append(wanted, ids[i])
				}
			}
		}
		if len(wanted) == 0 {
			continue
		}
		if len(wanted) > max(floodLimit, 1) {
			if err := insert(s.id, KindSummary, KindSummary+":"+joinIDs(wanted), wanted); err != nil {
				return 0, err
			}
			continue
		}
		for _, id := range wanted {
			if err := insert(s.id, KindEpisode, KindEpisode+":"+strconv.FormatInt(id, 10), []int64{id}); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, len(parts))
	for i, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad episode id list %q", s)
		}
		out[i] = id
	}
	return out, nil
}

const deliveryColumns = `d.id, d.kind, d.dedupe_key, d.episode_ids, d.status, d.attempts, d.due_at, d.message_id, d.last_error, d.created_at, d.sent_at, ` + subscriptionColumns

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var dl Delivery
	var ids, topics string
	var due, created, sent int64
	dst := []any{&dl.ID, &dl.Kind, &dl.DedupeKey, &ids, &dl.Status, &dl.Attempts, &due, &dl.MessageID, &dl.LastError, &created, &sent}
	if err := row.Scan(scanSubscriptionInto(dst, &dl.Subscription, &topics)...); err != nil {
		return Delivery{}, err
	}
	dl.Subscription.Topics = splitTopics(topics)
	dl.DueAt, dl.CreatedAt, dl.SentAt = fromUnix(due), fromUnix(created), fromUnix(sent)
	var err error
	dl.EpisodeIDs, err = splitIDs(ids)
	return dl, err
}

// ClaimDue takes up to limit pending deliveries that are due, oldest first, and
// leases them for lease: another dispatcher will not take them until the lease ends,
// so a dispatcher that dies mid-post has its deliveries retried, not lost.
func (d *DB) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	now := d.now()
	var out []Delivery
	err := d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
			WHERE d.status = 'pending' AND d.due_at <= ? AND d.claimed_until <= ? ORDER BY d.due_at, d.id LIMIT ?`, now.Unix(), now.Unix(), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			dl, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, dl)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := now.Add(lease).Unix()
		for i := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?`, until, out[i].ID); err != nil {
				return err
			}
			out[i].Attempts++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return out, nil
}

// MarkSent records that a delivery was posted, with the platform's message id.
func (d *DB) MarkSent(ctx context.Context, id int64, messageID string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, claimed_until = 0, last_error = '' WHERE id = ?`, messageID, d.now().Unix(), id)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again.
func (d *DB) MarkRetry(ctx context.Context, id int64, reason string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE deliveries SET due_at = ?, claimed_until = 0, last_error = ? WHERE id = ?`, at.Unix(), reason, id)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d for retry: %w", id, err)
	}
	return nil
}

// MarkDead gives up on a delivery, keeping the reason for the status command.
func (d *DB) MarkDead(ctx context.Context, id int64, reason string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE deliveries SET status = 'dead', claimed_until = 0, last_error = ? WHERE id = ?`, reason, id)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d dead: %w", id, err)
	}
	return nil
}

// Deliveries returns the deliveries with the given status ("" for all), oldest first.
func (d *DB) Deliveries(ctx context.Context, status string) ([]Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id`
	var args []any
	if status != "" {
		q += ` WHERE d.status = ?`
		args = append(args, status)
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		dl, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out = append(out, dl)
	}
	return out, rows.Err()
}

// NextDue returns when the earliest pending delivery is due, or false when none is
// pending.
func (d *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT MIN(MAX(due_at, claimed_until)) FROM deliveries WHERE status = 'pending'`).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, fmt.Errorf("store: next due delivery: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(at.Int64), true, nil
}

// OutboxHealth is a count of what waits and what was given up.
type OutboxHealth struct {
	Pending int
	Dead    int
	// LastDead is the reason the most recent dead delivery was given up.
	LastDead string
}

// Health counts pending and dead deliveries, for the status command.
func (d *DB) Health(ctx context.Context) (OutboxHealth, error) {
	var h OutboxHealth
	err := d.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0)
		FROM deliveries`).Scan(&h.Pending, &h.Dead)
	if err != nil {
		return OutboxHealth{}, fmt.Errorf("store: outbox health: %w", err)
	}
	if h.Dead > 0 {
		err = d.db.QueryRowContext(ctx, `SELECT last_error FROM deliveries WHERE status = 'dead' ORDER BY id DESC LIMIT 1`).Scan(&h.LastDead)
		if err != nil {
			return OutboxHealth{}, fmt.Errorf("store: outbox health: %w", err)
		}
	}
	return h, nil
}
