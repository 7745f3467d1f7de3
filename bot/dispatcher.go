package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// Poster posts the bot's own messages to one platform's channels.
type Poster interface {
	// Post posts m to d.Channel and returns the platform's id of the message.
	//
	// It must be idempotent per d.Key: a delivery is attempted again when the
	// process died between posting and recording, and the second attempt must not
	// post a second message (look the key up when d.MayHavePosted). It must return
	// rather than block past ctx's deadline, which ends before the delivery's
	// claim does: on a rate limit it returns a *RetryAfterError instead of waiting
	// long, and on a failure that retrying cannot fix a *PermanentError.
	Post(ctx context.Context, d Delivery, m Message) (messageID string, err error)
}

// PermanentError marks a post failure that retrying cannot fix (a deleted channel, a
// bot removed from it): the delivery is given up with this reason.
type PermanentError struct {
	Err error
	// Pause says the channel itself cannot be posted to any more (deleted,
	// archived, the app removed from the workspace): its subscription is paused,
	// so that nothing more is tried there until the channel subscribes again.
	Pause bool
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// pausedError tells the dispatch loop that a delivery paused its subscription:
// not a failure of the run.
type pausedError struct{ reason string }

func (e *pausedError) Error() string { return "subscription paused: " + e.reason }

// PostWait is the longest a poster may wait for a rate-limit slot within ctx's
// deadline, keeping margin for the call itself (half the time left when that
// is shorter); unbounded without a deadline. A context's deadline is on the
// real clock, whatever clock the poster keeps.
func PostWait(ctx context.Context, margin time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Duration(1<<63 - 1)
	}
	left := time.Until(dl)
	return left - min(left/2, margin)
}

// RetryAfterError asks the dispatcher to wait before posting again (a 429).
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// OutboxStore is what the dispatcher needs from the store. The Mark methods take
// the claim ClaimDue returned with the delivery, and return store.ErrClaimLost
// when another dispatcher has claimed the delivery since (the lease ran out).
type OutboxStore interface {
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error)
	EpisodesByID(ctx context.Context, ids []int64) ([]store.Episode, error)
	FeedTitle(ctx context.Context, feedID int64) (string, error)
	MarkSent(ctx context.Context, c store.Claim, messageID string) error
	MarkRetry(ctx context.Context, c store.Claim, reason string, at time.Time, mayHavePosted bool) error
	MarkDead(ctx context.Context, c store.Claim, reason string) error
	ReleaseClaims(ctx context.Context, claims []store.Claim) error
	PauseSubscription(ctx context.Context, id int64, reason string) error
	// The backlog is settled through store.SettleBacklog.
	store.BacklogSettler
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
	// FloodLimit is the most announcements one channel gets in a burst: a larger
	// backlog is posted as one summary. 3 when 0.
	FloodLimit int
	// MaxAge is how long an announcement may wait to be posted before it is
	// dropped as stale news; 7 days when 0.
	MaxAge time.Duration
	// CommandPrefix is the slash command that messages' buttons run
	// ("/postmortem").
	CommandPrefix string

	// mu guards held.
	mu sync.Mutex
	// held is what a run could not record because the store failed: claims to
	// give back, and posts made. The next run records them, rather than leave
	// the deliveries locked until their lease ends.
	held []heldClaim
}

// heldClaim is a claim whose outcome is not recorded yet, and when its lease
// ends: not attempted, or posted as messageID.
type heldClaim struct {
	claim     store.Claim
	until     time.Time
	messageID string
	posted    bool
}

// The defaults of FloodLimit and MaxAge, the same as the configuration's.
const (
	defaultFloodLimit = 3
	defaultMaxAge     = 7 * 24 * time.Hour
)

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
	// postTimeout is how long one post may take: well within the lease, so a post
	// still running when the lease ends cannot race another dispatcher's attempt.
	postTimeout = claimLease / 2
	// stopGrace is how long a stopping bot waits for the post under way.
	stopGrace = 10 * time.Second
	// postWindow is how long after its claim a batch may start a post: the post,
	// and its grace at a stop, then end within the lease. The rest of a batch
	// that took longer is given back and claimed again, with a fresh lease.
	postWindow = claimLease - postTimeout - stopGrace
	// releaseTimeout bounds giving claims back, which a stopping bot also does.
	releaseTimeout = 5 * time.Second
	// floodPause is how long a channel that got FloodLimit announcements in one run
	// waits for more: long enough to read as a separate burst, and for the next
	// run to sum the rest up.
	floodPause = 5 * time.Minute
)

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) floodLimit() int {
	if d.FloodLimit > 0 {
		return d.FloodLimit
	}
	return defaultFloodLimit
}

func (d *Dispatcher) maxAge() time.Duration {
	if d.MaxAge > 0 {
		return d.MaxAge
	}
	return defaultMaxAge
}

// settle drops the announcements too old to post and sums up each channel's
// backlog, so what piled up during an outage does not flood the channel now.
func (d *Dispatcher) settle(ctx context.Context) error {
	maxAge := d.maxAge()
	res, err := store.SettleBacklog(ctx, d.Store, d.floodLimit(), maxAge)
	if err != nil {
		return fmt.Errorf("bot: dispatch: %w", err)
	}
	for _, e := range res.Expired {
		d.Logger.Warn("announcements dropped: older than "+shortDuration(maxAge),
			"count", e.Deliveries, "episodes", e.Episodes, "platform", e.Subscription.Platform, "channel", e.Subscription.Channel)
	}
	for _, m := range res.Merged {
		d.Logger.Info("announcements merged into one summary",
			"count", m.Deliveries, "episodes", m.Episodes, "delivery", m.SummaryID, "platform", m.Subscription.Platform, "channel", m.Subscription.Channel)
	}
	return nil
}

// shortDuration prints a duration without its zero tail: 168h, 90m, 1h30m.
func shortDuration(t time.Duration) string {
	s := t.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// messageKind is the kind of message an outbox delivery of kind k posts.
func messageKind(k string) MessageKind {
	switch k {
	case store.KindSummary:
		return MessageSummary
	case store.KindDigest:
		return MessageDigest
	case store.KindDigestArchive:
		return MessageArchive
	}
	return MessageEpisode
}

// MessageKind is the kind of message a digest composition posts.
func (c Composition) MessageKind() MessageKind { return messageKind(c.Kind) }

// isAnnouncement says whether a delivery kind counts against the flood limit:
// episodes and summaries do, digests (one a week, on schedule) do not.
func isAnnouncement(kind string) bool {
	return kind == store.KindEpisode || kind == store.KindSummary
}

// recorded returns the error of recording a delivery's outcome, or nil when the
// claim on the delivery was lost (the lease ran out and another dispatcher
// claimed it): that one decides now, and posts nothing twice since the delivery
// is in doubt for it. The lost claim is logged; it is not a failure of the run.
func (d *Dispatcher) recorded(err error, dl store.Delivery, what string) error {
	if !errors.Is(err, store.ErrClaimLost) {
		return err
	}
	d.Logger.Warn("delivery left to another dispatcher: its claim ran out before this one recorded "+what,
		"delivery", dl.ID, "platform", dl.Subscription.Platform, "channel", dl.Subscription.Channel, "kind", dl.Kind)
	return nil
}

// DispatchDue posts every due delivery and returns those it sent. It first settles
// the backlog (see store.SettleBacklog), and posts no more than FloodLimit
// announcements to one channel. A failed post is scheduled again or given up; only a
// store failure stops the run.
func (d *Dispatcher) DispatchDue(ctx context.Context) ([]Sent, error) {
	if err := d.settle(ctx); err != nil {
		return nil, err
	}
	var sent []Sent
	// A channel that answered "slow down" gets nothing more in this run, so its
	// messages keep their order instead of overtaking the one that waits.
	blocked := make(map[string]time.Time)
	// Announcements posted per channel in this run. Settling keeps each
	// subscription within the limit; this holds it for a channel that follows
	// several feeds, or whose announcements were enqueued during the run.
	announced := make(map[string]int)
	// Subscriptions paused in this run, with why.
	paused := make(map[int64]string)
	limit := d.floodLimit()
	d.releaseHeld(ctx)
	// rest is what the batch claimed and this run has not attempted yet: given
	// back when the run ends early (a stop, a store failure), so that another
	// replica posts it now rather than when the lease ends.
	var rest []store.Delivery
	defer func() { d.release(ctx, rest) }()
	for {
		d.release(ctx, rest)
		rest = nil
		claimed := d.now()
		batch, err := d.Store.ClaimDue(ctx, claimBatch, claimLease)
		if err != nil {
			return sent, fmt.Errorf("bot: dispatch: %w", err)
		}
		if len(batch) == 0 {
			return sent, nil
		}
		rest = batch
		for len(rest) > 0 && d.now().Sub(claimed) < postWindow {
			if err := ctx.Err(); err != nil {
				return sent, err
			}
			dl := rest[0]
			rest = rest[1:]
			key := dl.Subscription.Platform + "\x00" + dl.Subscription.Channel
			if reason, ok := paused[dl.Subscription.ID]; ok {
				// Claimed in the same batch as the post that paused its subscription.
				if err := d.recorded(d.Store.MarkDead(ctx, dl.Claim(), "the subscription was paused: "+reason), dl, "its end"); err != nil {
					return sent, err
				}
				continue
			}
			if until, ok := blocked[key]; ok && !d.now().Before(until) {
				// The wait asked for is over, within this run: the channel is free.
				delete(blocked, key)
			}
			if until, ok := blocked[key]; ok {
				if err := d.recorded(d.Store.MarkRetry(ctx, dl.Claim(), "waiting for an earlier message to this channel", until, dl.InDoubt), dl, "its wait"); err != nil {
					return sent, err
				}
				continue
			}
			if isAnnouncement(dl.Kind) && announced[key] >= limit {
				reason := fmt.Sprintf("this channel got %d announcements at once; the rest waits", limit)
				if err := d.recorded(d.Store.MarkRetry(ctx, dl.Claim(), reason, d.now().Add(floodPause), dl.InDoubt), dl, "its wait"); err != nil {
					return sent, err
				}
				continue
			}
			s, retryAt, err := d.deliver(ctx, dl)
			var p *pausedError
			if errors.As(err, &p) {
				paused[dl.Subscription.ID] = p.reason
				continue
			}
			if err != nil {
				return sent, err
			}
			if s != nil {
				sent = append(sent, *s)
				if isAnnouncement(dl.Kind) {
					announced[key]++
				}
			}
			if !retryAt.IsZero() {
				blocked[key] = retryAt
			}
		}
	}
}

// release gives back the claims of deliveries a run claimed but did not attempt.
// What the store cannot take back now (it is down) is given back by the next run.
func (d *Dispatcher) release(ctx context.Context, dls []store.Delivery) {
	if len(dls) == 0 {
		return
	}
	claims := make([]store.Claim, len(dls))
	for i, dl := range dls {
		claims[i] = dl.Claim()
	}
	// Given back even when the bot is stopping: that is when it matters.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := d.Store.ReleaseClaims(rctx, claims); err != nil {
		d.Logger.Warn("cannot give back claimed deliveries now; the next run does, while their lease lasts", "deliveries", len(claims), "err", err)
		until := d.now().Add(claimLease)
		for _, c := range claims {
			d.hold(heldClaim{claim: c, until: until})
		}
	}
}

// hold keeps an outcome the store could not take for the next run.
func (d *Dispatcher) hold(h heldClaim) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = append(d.held, h)
}

// releaseHeld records what earlier runs could not, while the claims' leases
// last: the posts made, and the claims given back. Once a lease ended, the
// delivery is another dispatcher's, which finds a post by its key.
func (d *Dispatcher) releaseHeld(ctx context.Context) {
	d.mu.Lock()
	held := d.held
	d.held = nil
	d.mu.Unlock()
	var claims []store.Claim
	var keep []heldClaim
	posts := 0
	now := d.now()
	for _, h := range held {
		switch {
		case !now.Before(h.until):
		case h.posted:
			err := d.Store.MarkSent(ctx, h.claim, h.messageID)
			switch {
			case err == nil:
				posts++
			case !errors.Is(err, store.ErrClaimLost):
				keep = append(keep, h)
			}
		default:
			claims = append(claims, h.claim)
		}
	}
	if len(claims) > 0 {
		if err := d.Store.ReleaseClaims(ctx, claims); err != nil {
			for _, h := range held {
				if !h.posted && now.Before(h.until) {
					keep = append(keep, h)
				}
			}
			claims = nil
		}
	}
	if len(keep) > 0 {
		d.mu.Lock()
		d.held = append(d.held, keep...)
		d.mu.Unlock()
	}
	if posts+len(claims) > 0 {
		d.Logger.Info("recorded what the database missed when it failed", "posts", posts, "given_back", len(claims))
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
	eps := make([]feeds.Episode, 0, len(stored))
	for _, e := range stored {
		eps = append(eps, e.Episode)
	}
	if len(eps) == 0 && len(dl.EpisodeIDs) > 0 {
		// Every episode it names is damaged in the store: an empty message would
		// say nothing. The next poll repairs the rows; this message is given up.
		log.Error("delivery given up: its episodes cannot be read from the database", "episodes", len(dl.EpisodeIDs))
		return nil, time.Time{}, d.recorded(d.Store.MarkDead(ctx, dl.Claim(), "its episodes' data is damaged in the database"), dl, "its end")
	}
	poster, ok := d.Posters[dl.Subscription.Platform]
	if !ok {
		// The platform may be configured again later: keep the delivery, slowly.
		reason := fmt.Sprintf("platform %s is not configured", dl.Subscription.Platform)
		at := d.now().Add(time.Hour)
		return nil, at, d.recorded(d.Store.MarkRetry(ctx, dl.Claim(), reason, at, dl.InDoubt), dl, "its wait")
	}
	kind := messageKind(dl.Kind)
	msg := ComposeMessage(kind, title, dl.Subscription.Language, d.CommandPrefix, eps)
	desc := Delivery{Key: DeliveryKey(dl.ID), Attempt: dl.Attempts, Kind: kind, Channel: dl.Subscription.Channel, MayHavePosted: dl.InDoubt}
	// The post under way is finished and recorded even when the bot is stopping:
	// cut short, it could be in the channel without the store knowing it. A stop
	// gives it stopGrace at most.
	wctx := context.WithoutCancel(ctx)
	pctx, cancel := context.WithTimeout(wctx, postTimeout)
	stopWaiting := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	msgID, err := poster.Post(pctx, desc, msg)
	stopWaiting()
	cancel()
	if err == nil {
		err := d.Store.MarkSent(wctx, dl.Claim(), msgID)
		if err != nil && !errors.Is(err, store.ErrClaimLost) {
			// Posted, but the store failed: the next run records it, rather
			// than another dispatcher looking for it when the lease ends.
			d.hold(heldClaim{claim: dl.Claim(), until: d.now().Add(claimLease), messageID: msgID, posted: true})
		}
		if err := d.recorded(err, dl, "its post (the other finds the post by its key)"); err != nil {
			return nil, time.Time{}, err
		}
		log.Debug("delivered", "message_id", msgID)
		return &Sent{Delivery: dl, Episodes: eps, MessageID: msgID}, time.Time{}, nil
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
		if err := d.Store.MarkDead(wctx, dl.Claim(), err.Error()); err != nil {
			// A lost claim: the dispatcher that holds it meets the same failure.
			return nil, time.Time{}, d.recorded(err, dl, "its end")
		}
		if perm != nil && perm.Pause {
			log.Error("subscription paused: its channel cannot be posted to; subscribing the channel again resumes it", "subscription", dl.Subscription.ID, "reason", perm.Error())
			if err := d.Store.PauseSubscription(wctx, dl.Subscription.ID, perm.Error()); err != nil {
				return nil, time.Time{}, err
			}
			return nil, time.Time{}, &pausedError{reason: perm.Error()}
		}
		return nil, time.Time{}, nil
	}
	wait := retryDelay(dl.Attempts)
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		// The platform said when: no need to back off further than that.
		wait = max(ra.After, time.Second)
	}
	log.Warn("delivery failed; will retry", "attempts", dl.Attempts, "retry_in", wait, "err", err)
	at := d.now().Add(wait)
	// A rate limit refused the post: this attempt posted nothing. Any other
	// failure (a timeout, a server error) may have posted it. A delivery
	// already in doubt stays so: a rate limit met while looking for the
	// earlier attempt's post says nothing of that post.
	return nil, at, d.recorded(d.Store.MarkRetry(wctx, dl.Claim(), err.Error(), at, ra == nil || dl.InDoubt), dl, "its failure")
}

// retryDelay backs off from 10 s to an hour.
func retryDelay(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
