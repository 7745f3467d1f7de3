package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	// being recorded: the poster must look for it before posting again. (Listed
	// by Deliveries, a delivery claimed now is in doubt too.)
	InDoubt bool
	// ClaimToken is the claim ClaimDue took on the delivery, which MarkSent,
	// MarkRetry and MarkDead need (see Claim); "" in what Deliveries lists.
	ClaimToken string
	DueAt      time.Time
	MessageID  string
	LastError  string
	CreatedAt  time.Time
	SentAt     time.Time
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

// Claim names a delivery as claimed by one ClaimDue: what MarkSent, MarkRetry and
// MarkDead take, so that only the holder of the claim records the outcome.
type Claim struct {
	ID    int64
	Token string
}

// Claim returns the claim of a delivery ClaimDue returned.
func (dl Delivery) Claim() Claim { return Claim{ID: dl.ID, Token: dl.ClaimToken} }

// ErrClaimLost is returned by MarkSent, MarkRetry and MarkDead when the caller no
// longer holds the delivery's claim: its lease ran out and another dispatcher
// claimed it, and that one now decides. Nothing was recorded.
var ErrClaimLost = errors.New("store: the delivery's claim was lost (its lease ran out and another dispatcher claimed it)")

// deliveryColumns are a delivery's columns with its subscription's. in_doubt is
// as recorded: what the holder of a claim is told. claim_token is there for
// Deliveries, which counts a claimed delivery as in doubt.
const deliveryColumns = `d.id, d.kind, d.dedupe_key, d.episode_ids, d.status, d.attempts, d.in_doubt, d.claim_token, d.due_at, d.message_id, d.last_error, d.created_at, d.sent_at, ` + subscriptionColumns

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var dl Delivery
	var ids, topics string
	var due, created, sent int64
	dst := []any{&dl.ID, &dl.Kind, &dl.DedupeKey, &ids, &dl.Status, &dl.Attempts, &dl.InDoubt, &dl.ClaimToken, &due, &dl.MessageID, &dl.LastError, &created, &sent}
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
// leases them for lease: another dispatcher will not take them until the lease
// ends, so a dispatcher that dies mid-post has its deliveries retried, not lost.
// One statement picks and claims them, so two dispatchers never claim one
// delivery at once; each claim has a fresh token (Delivery.Claim), and only its
// holder can record the outcome. A delivery whose earlier claim ended without
// an outcome recorded (the process died mid-post) comes back in doubt.
func (d *DB) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	now := d.now()
	token := rand.Text()
	var out []Delivery
	err := d.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		// The claim: in doubt from now on if an earlier claim left its token (its
		// attempt never reported), whatever the attempt under way does.
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET claimed_until = ?, claim_token = ?, attempts = attempts + 1,
				in_doubt = CASE WHEN claim_token <> '' THEN 1 ELSE in_doubt END
			WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND due_at <= ? AND claimed_until <= ?
				ORDER BY due_at, id LIMIT ?`+d.sql.claimLock+`)
			RETURNING id`, now.Add(lease).Unix(), token, now.Unix(), now.Unix(), limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
			WHERE d.id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY d.due_at, d.id`, ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			dl, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, dl)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return out, nil
}

// mark records the outcome of a claimed delivery: set is the SET clause, args its
// arguments. It releases the claim, and does nothing but return ErrClaimLost when
// the claim is no longer c's.
func (d *DB) mark(ctx context.Context, c Claim, what, set string, args ...any) error {
	if c.Token == "" {
		return fmt.Errorf("store: mark delivery %d %s: no claim token: %w", c.ID, what, ErrClaimLost)
	}
	r, err := d.db.ExecContext(ctx, `UPDATE deliveries SET `+set+`, claimed_until = 0, claim_token = '' WHERE id = ? AND claim_token = ?`,
		append(args, c.ID, c.Token)...)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d %s: %w", c.ID, what, err)
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("store: mark delivery %d %s: %w", c.ID, what, cmp.Or(err, ErrClaimLost))
	}
	return nil
}

// ReleaseClaims gives back claims whose deliveries were not attempted (the
// dispatcher stopped, or its lease grew too short for one more post): they are
// due again at once, for any dispatcher, and the claim is not counted as an
// attempt. A claim no longer held (its lease ran out and another dispatcher took
// it) is left alone; it is not an error, since the other holds it now.
func (d *DB) ReleaseClaims(ctx context.Context, claims []Claim) error {
	if len(claims) == 0 {
		return nil
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		for _, c := range claims {
			if c.Token == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET claimed_until = 0, claim_token = '', attempts = attempts - 1
				WHERE id = ? AND claim_token = ? AND status = 'pending'`, c.ID, c.Token); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: release %d claims: %w", len(claims), err)
	}
	return nil
}

// MarkSent records that a claimed delivery was posted, with the platform's
// message id; ErrClaimLost when the claim is no longer c's.
func (d *DB) MarkSent(ctx context.Context, c Claim, messageID string) error {
	return d.mark(ctx, c, "sent", `status = 'sent', message_id = ?, sent_at = ?, last_error = ''`, messageID, d.now().Unix())
}

// MarkRetry records a failed attempt at a claimed delivery and when to try
// again; ErrClaimLost when the claim is no longer c's. mayHavePosted says
// whether the attempt may have posted the message all the same (a timeout, a
// server error): the next attempt then looks for it before posting.
func (d *DB) MarkRetry(ctx context.Context, c Claim, reason string, at time.Time, mayHavePosted bool) error {
	doubt := 0 // in_doubt is 0 or 1 in every engine
	if mayHavePosted {
		doubt = 1
	}
	return d.mark(ctx, c, "for retry", `due_at = ?, last_error = ?, in_doubt = ?`, at.Unix(), reason, doubt)
}

// MarkDead gives up on a claimed delivery, keeping the reason for the status
// command; ErrClaimLost when the claim is no longer c's.
func (d *DB) MarkDead(ctx context.Context, c Claim, reason string) error {
	return d.mark(ctx, c, "dead", `status = 'dead', last_error = ?`, reason)
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
		// A claim under way, or one whose attempt never reported, may have posted.
		dl.InDoubt = dl.InDoubt || dl.ClaimToken != ""
		dl.ClaimToken = ""
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

// NextDue returns when the earliest pending delivery is due, or false when none is
// pending.
func (d *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT MIN(`+d.sql.greatest+`(due_at, claimed_until)) FROM deliveries WHERE status = 'pending'`).Scan(&at)
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
	// Only the statuses counted are read, through the (status, due_at, id)
	// index: the sent deliveries, nearly all of the table, are not.
	rows, err := d.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries
		WHERE status IN ('pending', 'dead', 'expired') GROUP BY status`)
	if err != nil {
		return OutboxHealth{}, fmt.Errorf("store: outbox health: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return OutboxHealth{}, fmt.Errorf("store: outbox health: %w", err)
		}
		switch status {
		case StatusPending:
			h.Pending = n
		case StatusDead:
			h.Dead = n
		case StatusExpired:
			h.Expired = n
		}
	}
	if err := rows.Err(); err != nil {
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

// BacklogState reads what settling the backlog is planned on (see PlanBacklog):
// the pending announcements (episodes and summaries) that no dispatcher holds and
// that no attempt may have posted, and when their episodes were first seen.
func (d *DB) BacklogState(ctx context.Context) (BacklogState, error) {
	st := BacklogState{Now: d.now()}
	rows, err := d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
		WHERE d.status = 'pending' AND d.kind IN (?, ?) AND d.claimed_until <= ? AND d.claim_token = '' AND d.in_doubt = 0 ORDER BY d.subscription_id, d.id`,
		KindEpisode, KindSummary, st.Now.Unix())
	if err != nil {
		return BacklogState{}, fmt.Errorf("store: read the backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		dl, err := scanDelivery(rows)
		if err != nil {
			return BacklogState{}, fmt.Errorf("store: read the backlog: %w", err)
		}
		st.Pending = append(st.Pending, dl)
	}
	if err := rows.Err(); err != nil {
		return BacklogState{}, fmt.Errorf("store: read the backlog: %w", err)
	}
	rows.Close()
	if st.FirstSeen, err = d.firstSeen(ctx, st.Pending); err != nil {
		return BacklogState{}, fmt.Errorf("store: read the backlog: %w", err)
	}
	return st, nil
}

// ApplyBacklog applies a backlog plan in one transaction: it drops what the plan
// expires and enqueues each summary in place of the deliveries it replaces. It
// returns ErrConflict, having written nothing, when one of those deliveries is no
// longer pending, unclaimed and free of doubt.
func (d *DB) ApplyBacklog(ctx context.Context, plan BacklogPlan) (BacklogResult, error) {
	now := d.now().Unix()
	var res BacklogResult
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res = BacklogResult{Expired: plan.Expired}
		settle := func(id int64, status, reason string) error {
			r, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, last_error = ?
				WHERE id = ? AND status = 'pending' AND claimed_until <= ? AND claim_token = '' AND in_doubt = 0`, status, reason, id, now)
			if err != nil {
				return fmt.Errorf("settle delivery %d: %w", id, err)
			}
			if n, err := r.RowsAffected(); err != nil || n == 0 {
				return cmp.Or(err, ErrConflict)
			}
			return nil
		}
		for _, e := range plan.Expire {
			if err := settle(e.ID, StatusExpired, e.Reason); err != nil {
				return err
			}
		}
		for _, m := range plan.Merges {
			id, err := d.enqueueSummary(ctx, tx, m, now)
			if err != nil {
				return err
			}
			for _, r := range m.Replaces {
				status, reason := r.Outcome(id)
				if err := settle(r.ID, status, reason); err != nil {
					return err
				}
			}
			res.Merged = append(res.Merged, MergedBacklog{Subscription: m.Subscription, Deliveries: len(m.Replaces), Episodes: len(m.EpisodeIDs), SummaryID: id})
		}
		return nil
	})
	if err != nil {
		return BacklogResult{}, fmt.Errorf("store: settle backlog: %w", err)
	}
	return res, nil
}

// enqueueSummary enqueues the summary of a backlog merge under its key, or its
// fallback key when the subscription has a delivery with that key already, and
// returns its id.
func (d *DB) enqueueSummary(ctx context.Context, tx *sql.Tx, m BacklogMerge, now int64) (int64, error) {
	const insert = `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	var id int64
	err := tx.QueryRowContext(ctx, insert+` ON CONFLICT DO NOTHING RETURNING id`,
		m.Subscription.ID, KindSummary, m.Key(), joinIDs(m.EpisodeIDs), unix(m.DueAt), now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, insert+` RETURNING id`,
			m.Subscription.ID, KindSummary, m.FallbackKey(), joinIDs(m.EpisodeIDs), unix(m.DueAt), now).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", m.Key(), err)
	}
	return id, nil
}

// firstSeen returns when the store first saw each episode the deliveries
// announce.
func (d *DB) firstSeen(ctx context.Context, dls []Delivery) (map[int64]time.Time, error) {
	var ids []any
	for _, dl := range dls {
		for _, id := range dl.EpisodeIDs {
			ids = append(ids, id)
		}
	}
	out := make(map[int64]time.Time, len(ids))
	// In chunks, well under SQLite's limit on a statement's parameters.
	const chunk = 500
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		rows, err := d.db.QueryContext(ctx, `SELECT id, first_seen FROM episodes WHERE id IN (?`+strings.Repeat(",?", n-1)+`)`, ids[:n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, at int64
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = time.Unix(at, 0).UTC()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}
