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
	// StatusExpired is an announcement dropped because it was not posted within the
	// maximum age: news that old would only be noise.
	StatusExpired = "expired"
	// StatusMerged is an announcement replaced by one summary of its channel's
	// backlog; its last error names the summary.
	StatusMerged = "merged"
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
	// InDoubt says an earlier attempt may have posted the message without it
	// being recorded: the poster must look for it before posting again.
	InDoubt   bool
	DueAt     time.Time
	MessageID string
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
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
	// Each subscription's episodes, or their summary.
	one := make(map[int64][]int64, len(subs))
	var rounds int
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
		if len(wanted) > max(floodLimit, 1) {
			if err := insert(s.id, KindSummary, KindSummary+":"+joinIDs(wanted), wanted); err != nil {
				return 0, err
			}
			continue
		}
		one[s.id] = wanted
		rounds = max(rounds, len(wanted))
	}
	// Episode by episode across the channels, not channel by channel: the outbox
	// is posted in this order, and a channel's second message waits a second for
	// Slack's per-channel limit, which must not hold up every other channel's
	// first one. Each channel still gets its episodes oldest first.
	for r := range rounds {
		for _, s := range subs {
			if wanted := one[s.id]; r < len(wanted) {
				if err := insert(s.id, KindEpisode, KindEpisode+":"+strconv.FormatInt(wanted[r], 10), []int64{wanted[r]}); err != nil {
					return 0, err
				}
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

const deliveryColumns = `d.id, d.kind, d.dedupe_key, d.episode_ids, d.status, d.attempts, d.in_doubt, d.due_at, d.message_id, d.last_error, d.created_at, d.sent_at, ` + subscriptionColumns

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var dl Delivery
	var ids, topics string
	var due, created, sent int64
	dst := []any{&dl.ID, &dl.Kind, &dl.DedupeKey, &ids, &dl.Status, &dl.Attempts, &dl.InDoubt, &due, &dl.MessageID, &dl.LastError, &created, &sent}
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
			// In doubt until the attempt ends: if the process dies mid-post, the
			// next attempt must look for the post first.
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET claimed_until = ?, attempts = attempts + 1, in_doubt = 1 WHERE id = ?`, until, out[i].ID); err != nil {
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

// MarkRetry records a failed attempt and when to try again. mayHavePosted says
// whether the attempt may have posted the message all the same (a timeout, a
// server error): the next attempt then looks for it before posting.
func (d *DB) MarkRetry(ctx context.Context, id int64, reason string, at time.Time, mayHavePosted bool) error {
	_, err := d.db.ExecContext(ctx, `UPDATE deliveries SET due_at = ?, claimed_until = 0, last_error = ?, in_doubt = ? WHERE id = ?`, at.Unix(), reason, mayHavePosted, id)
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
	// Expired counts the announcements dropped because they were too old to post.
	Expired int
	// LastDead is the reason the most recent dead delivery was given up.
	LastDead string
}

// Health counts pending, dead and expired deliveries, for the status command.
func (d *DB) Health(ctx context.Context) (OutboxHealth, error) {
	var h OutboxHealth
	err := d.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END), 0)
		FROM deliveries`).Scan(&h.Pending, &h.Dead, &h.Expired)
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

// BacklogResult says what SettleBacklog changed, subscription by subscription.
type BacklogResult struct {
	// Expired lists the subscriptions whose too-old announcements were dropped.
	Expired []ExpiredBacklog
	// Merged lists the subscriptions whose backlog became one summary.
	Merged []MergedBacklog
}

// ExpiredBacklog is what SettleBacklog dropped from one subscription's backlog.
type ExpiredBacklog struct {
	Subscription Subscription
	// Deliveries counts the announcements dropped, Episodes the episodes dropped
	// with them.
	Deliveries int
	Episodes   int
}

// MergedBacklog is one subscription's backlog that SettleBacklog replaced with a
// summary.
type MergedBacklog struct {
	Subscription Subscription
	// Deliveries counts the announcements replaced, Episodes the episodes of the
	// summary.
	Deliveries int
	Episodes   int
	// SummaryID is the summary delivery that replaces them.
	SummaryID int64
}

// SettleBacklog keeps a backlog of announcements (piled up during an outage, or for
// a platform configured but not connected) from flooding a channel when it is
// finally posted. In one transaction, among the pending announcements (episodes and
// summaries; digests are left alone) that no dispatcher holds:
//
//   - an episode first seen more than maxAge ago is not announced any more: an
//     announcement of only such episodes is dropped (StatusExpired), and a summary
//     with some is dropped too, its other episodes moving to a new summary;
//     maxAge <= 0 drops nothing;
//   - a subscription's remaining announcements, when there are several and they
//     name more than floodLimit episodes (or are more than floodLimit messages),
//     are replaced (StatusMerged) by one summary of their episodes, oldest first.
//
// Age counts from the episode, not the delivery, so that a summary of a long
// backlog loses its stale episodes, not its fresh ones. Due or not, announcements
// count: retries scatter a backlog's due times, and it would otherwise trickle out
// one message at a time. A settled outbox stays as it is: a second call changes
// nothing.
func (d *DB) SettleBacklog(ctx context.Context, floodLimit int, maxAge time.Duration) (BacklogResult, error) {
	now := d.now()
	limit := max(floodLimit, 1)
	var res BacklogResult
	err := d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
			WHERE d.status = 'pending' AND d.kind IN (?, ?) AND d.claimed_until <= ? AND d.in_doubt = 0 ORDER BY d.subscription_id, d.id`,
			KindEpisode, KindSummary, now.Unix())
		if err != nil {
			return err
		}
		var groups [][]Delivery // one per subscription, in enqueue order
		for rows.Next() {
			dl, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if n := len(groups); n > 0 && groups[n-1][0].Subscription.ID == dl.Subscription.ID {
				groups[n-1] = append(groups[n-1], dl)
			} else {
				groups = append(groups, []Delivery{dl})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range groups {
			items, exp, err := expireBacklog(ctx, tx, g, now, maxAge)
			if err != nil {
				return err
			}
			m, err := mergeBacklog(ctx, tx, items, limit, now)
			if err != nil {
				return err
			}
			if exp.Deliveries > 0 {
				res.Expired = append(res.Expired, exp)
			}
			if m.SummaryID != 0 {
				res.Merged = append(res.Merged, m)
			}
		}
		return nil
	})
	if err != nil {
		return BacklogResult{}, fmt.Errorf("store: settle backlog: %w", err)
	}
	return res, nil
}

// backlogItem is a pending announcement with the episodes it may still announce.
type backlogItem struct {
	Delivery
	fresh []int64
	// dropped is the reason it was expired while some of its episodes are still
	// fresh; they go on in a new summary.
	dropped string
}

// expireBacklog drops the deliveries of g whose episodes were all first seen more
// than maxAge before now, and those with some such episodes (a summary of a long
// backlog). It returns every delivery that still has episodes to announce.
func expireBacklog(ctx context.Context, tx *sql.Tx, g []Delivery, now time.Time, maxAge time.Duration) ([]backlogItem, ExpiredBacklog, error) {
	exp := ExpiredBacklog{Subscription: g[0].Subscription}
	items := make([]backlogItem, 0, len(g))
	if maxAge <= 0 {
		for _, dl := range g {
			items = append(items, backlogItem{Delivery: dl, fresh: dl.EpisodeIDs})
		}
		return items, exp, nil
	}
	cutoff := now.Add(-maxAge).Unix()
	seen, err := firstSeen(ctx, tx, g)
	if err != nil {
		return nil, ExpiredBacklog{}, err
	}
	reason := fmt.Sprintf("not posted within %s; dropped", ageText(maxAge))
	for _, dl := range g {
		it := backlogItem{Delivery: dl}
		for _, id := range dl.EpisodeIDs {
			at, ok := seen[id]
			if !ok {
				at = dl.CreatedAt.Unix()
			}
			if at >= cutoff {
				it.fresh = append(it.fresh, id)
			}
		}
		stale := len(dl.EpisodeIDs) - len(it.fresh)
		if stale == 0 {
			items = append(items, it)
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, claimed_until = 0, last_error = ? WHERE id = ?`, StatusExpired, reason, dl.ID); err != nil {
			return nil, ExpiredBacklog{}, fmt.Errorf("expire delivery %d: %w", dl.ID, err)
		}
		exp.Deliveries++
		exp.Episodes += stale
		if len(it.fresh) > 0 {
			it.dropped = fmt.Sprintf("%s %d of its episodes", reason, stale)
			items = append(items, it)
		}
	}
	return items, exp, nil
}

// firstSeen returns when the bot first saw each episode the deliveries announce,
// in Unix seconds.
func firstSeen(ctx context.Context, tx *sql.Tx, g []Delivery) (map[int64]int64, error) {
	var ids []any
	for _, dl := range g {
		for _, id := range dl.EpisodeIDs {
			ids = append(ids, id)
		}
	}
	out := make(map[int64]int64, len(ids))
	// In chunks, well under SQLite's limit on a statement's parameters.
	const chunk = 500
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		rows, err := tx.QueryContext(ctx, `SELECT id, first_seen FROM episodes WHERE id IN (?`+strings.Repeat(",?", n-1)+`)`, ids[:n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, at int64
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = at
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// mergeBacklog replaces one subscription's announcements with one summary when
// posting them would make more than limit messages, or announce more than limit
// episodes in several messages, or when some of them were dropped for their stale
// episodes and their fresh ones need a message. It returns a zero MergedBacklog
// when it leaves them as they are.
func mergeBacklog(ctx context.Context, tx *sql.Tx, items []backlogItem, limit int, now time.Time) (MergedBacklog, error) {
	if len(items) == 0 {
		return MergedBacklog{}, nil
	}
	var ids []int64
	seen := make(map[int64]bool)
	due := items[0].DueAt
	carried := false
	for _, it := range items {
		for _, id := range it.fresh {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		// Due when the first of them was: the backlog goes out when it would have.
		if it.DueAt.Before(due) {
			due = it.DueAt
		}
		carried = carried || it.dropped != ""
	}
	if !carried && (len(items) < 2 || (len(items) <= limit && len(ids) <= limit)) {
		return MergedBacklog{}, nil
	}
	sub := items[0].Subscription
	key := KindSummary + ":" + joinIDs(ids)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE subscription_id = ? AND dedupe_key = ?`, sub.ID, key).Scan(&n); err != nil {
		return MergedBacklog{}, err
	}
	if n > 0 {
		// These very episodes were summed up before (that summary may be one of
		// items): a key of its own, unique because a delivery is replaced only once.
		key += "#" + strconv.FormatInt(items[0].ID, 10)
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		sub.ID, KindSummary, key, joinIDs(ids), unix(due), now.Unix())
	if err != nil {
		return MergedBacklog{}, fmt.Errorf("enqueue %s: %w", key, err)
	}
	id, err := r.LastInsertId()
	if err != nil {
		return MergedBacklog{}, err
	}
	for _, it := range items {
		status, reason := StatusMerged, fmt.Sprintf("merged into summary delivery %d with the rest of the channel's backlog", id)
		if it.dropped != "" {
			status, reason = StatusExpired, fmt.Sprintf("%s; the others moved to summary delivery %d", it.dropped, id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, claimed_until = 0, last_error = ? WHERE id = ?`, status, reason, it.ID); err != nil {
			return MergedBacklog{}, fmt.Errorf("merge delivery %d: %w", it.ID, err)
		}
	}
	return MergedBacklog{Subscription: sub, Deliveries: len(items), Episodes: len(ids), SummaryID: id}, nil
}

// ageText says an age in words for a delivery's last error: "7 days", "36h0m0s".
func ageText(age time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case age == day:
		return "1 day"
	case age%day == 0:
		return fmt.Sprintf("%d days", age/day)
	}
	return age.String()
}
