package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// DigestStore is what the Digester needs from the store.
type DigestStore interface {
	SubscriptionsWithDigest(ctx context.Context) ([]store.Subscription, error)
	SubscriptionsOf(ctx context.Context, platform, channel string) ([]store.Subscription, error)
	SubscribedAt(ctx context.Context, subID int64) (time.Time, error)
	LastDigest(ctx context.Context, subID int64) (period string, at time.Time, ok bool, err error)
	EnqueueDigest(ctx context.Context, e store.DigestEntry) (created bool, err error)
	EpisodesSince(ctx context.Context, feedID int64, since, until time.Time) ([]store.Episode, error)
	Episodes(ctx context.Context, feedID int64) ([]store.Episode, error)
	ArchivePicks(ctx context.Context, subID int64, since time.Time) ([]int64, error)
}

// Digester composes each subscription's periodic digest and puts it in the outbox,
// once per scheduled period.
type Digester struct {
	Store  DigestStore
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand returns a number in [0, n) to pick an archive episode; math/rand when nil.
	Rand func(n int) int
	// Match says whether an episode matches a subscription's topics; when nil,
	// topics filter nothing (every episode matches). Give it the same matcher as the
	// store's announcements so a channel's digest follows its topics too.
	Match store.TopicMatcher

	mu sync.Mutex
	// warned holds the schedules already reported as unusable, by subscription, so
	// a bad one is logged once rather than at every tick.
	warned map[int64]string
}

// Composition is the content of one digest.
type Composition struct {
	// Kind is store.KindDigest (Episodes are the period's, oldest first),
	// store.KindDigestArchive (one episode from the back catalogue), or "" when
	// there is nothing to post.
	Kind     string
	Episodes []store.Episode
	// Since and Until bound the period: episodes published in [Since, Until).
	Since, Until time.Time
}

var _ commands.Digester = (*Digester)(nil)

const (
	// defaultTimeZone is the design's default for a subscription without one.
	defaultTimeZone = "Europe/Paris"
	// archiveMemory is how long an archive pick is not picked again for a channel.
	archiveMemory = 8 * 7 * 24 * time.Hour
	// dstMargin bounds how far a local clock moves back or forward at a transition
	// (at most two hours in the IANA database); schedule searches look this far
	// around the local time so that a repeated hour is never mistaken for the past.
	dstMargin = 3 * time.Hour
	// maxFires bounds the fire times one schedule search walks through.
	maxFires = 100000
)

func (d *Digester) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Digester) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func (d *Digester) rand(n int) int {
	if d.Rand != nil {
		return d.Rand(n)
	}
	return rand.IntN(n)
}

func (d *Digester) matches(ep feeds.Episode, topics []string) bool {
	return len(topics) == 0 || d.Match == nil || d.Match(ep, topics)
}

// PeriodKey names the period that starts at a scheduled time: the time in UTC,
// RFC 3339 ("2026-03-30T07:00:00Z"). UTC makes the key the same on every host and
// across DST, and lets keys sort as times.
func PeriodKey(at time.Time) string { return at.UTC().Format(time.RFC3339) }

// RunDue enqueues, for every subscription with a digest, the digest of its latest
// scheduled period that has none yet, and returns how many digests it enqueued.
//
// It is both the catch-up at start and what each scheduler tick does. Only the
// latest period counts: a bot that was down for two weeks posts one digest, with
// every episode since the last one, not one per missed week. It is idempotent, and
// safe to run from several processes at once: the store keeps one digest per
// (subscription, period). A subscription whose schedule cannot be read is logged
// and skipped; only a store failure stops the run.
func (d *Digester) RunDue(ctx context.Context) (int, error) {
	subs, err := d.Store.SubscriptionsWithDigest(ctx)
	if err != nil {
		return 0, fmt.Errorf("bot: digests: %w", err)
	}
	n := 0
	for _, sub := range subs {
		created, err := d.runOne(ctx, sub)
		if err != nil {
			var se *scheduleError
			if errors.As(err, &se) {
				if d.firstWarning(sub) {
					d.logger().Warn("digest schedule ignored", "subscription", sub.ID, "platform", sub.Platform, "channel", sub.Channel, "err", err)
				}
				continue
			}
			return n, fmt.Errorf("bot: digest of subscription %d: %w", sub.ID, err)
		}
		if created {
			n++
		}
	}
	return n, nil
}

// firstWarning reports whether sub's schedule was not reported as unusable yet.
func (d *Digester) firstWarning(sub store.Subscription) bool {
	key := sub.DigestSchedule + "\x00" + sub.DigestTimeZone
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.warned == nil {
		d.warned = make(map[int64]string)
	}
	if d.warned[sub.ID] == key {
		return false
	}
	d.warned[sub.ID] = key
	return true
}

// runOne enqueues the digest of one subscription's latest period when it is due;
// created says whether a delivery was enqueued.
func (d *Digester) runOne(ctx context.Context, sub store.Subscription) (bool, error) {
	sched, err := parseSchedule(sub.DigestSchedule, sub.DigestTimeZone)
	if err != nil {
		return false, err
	}
	at, ok := sched.prev(d.now())
	if !ok {
		return false, nil
	}
	_, lastAt, hasLast, err := d.Store.LastDigest(ctx, sub.ID)
	if err != nil {
		return false, err
	}
	if hasLast && !at.After(lastAt) {
		return false, nil // done already, or the schedule moved to an earlier slot
	}
	entry := store.DigestEntry{SubscriptionID: sub.ID, Period: PeriodKey(at), At: at}
	log := d.logger().With("subscription", sub.ID, "platform", sub.Platform, "channel", sub.Channel, "period", entry.Period)
	subscribed, err := d.Store.SubscribedAt(ctx, sub.ID)
	if err != nil {
		return false, err
	}
	if hasLast && lastAt.Before(subscribed) {
		// The channel unsubscribed and came back since its last digest: start afresh
		// rather than sum up everything it chose not to follow.
		hasLast = false
	}
	var since time.Time
	if hasLast {
		since = lastAt
	} else {
		if at.Before(subscribed) {
			// The period ended before the channel subscribed: a "weekly digest" right
			// after subscribing would be noise. Record it, so the first digest is the
			// next one and covers the episodes since this slot.
			_, err := d.Store.EnqueueDigest(ctx, entry)
			return false, err
		}
		// A first digest covers one schedule interval.
		if since, ok = sched.prev(at.Add(-time.Second)); !ok {
			since = at.AddDate(0, 0, -7)
		}
	}
	comp, catalogue, err := d.compose(ctx, sub, since, at)
	if err != nil {
		return false, err
	}
	if comp.Kind == "" && catalogue == 0 {
		// The feed has not been read yet (a first start): try again at the next tick
		// rather than record an empty digest.
		return false, nil
	}
	entry.Kind = comp.Kind
	for _, e := range comp.Episodes {
		entry.EpisodeIDs = append(entry.EpisodeIDs, e.ID)
	}
	created, err := d.Store.EnqueueDigest(ctx, entry)
	if err != nil {
		return false, err
	}
	if created && len(entry.EpisodeIDs) > 0 {
		log.Info("digest enqueued", "kind", comp.Kind, "episodes", len(entry.EpisodeIDs), "since", since)
		return true, nil
	}
	return false, nil
}

// Compose returns the digest of sub for [since, until): the feed's episodes
// published in that window that match the subscription's topics, oldest first; or,
// when there are none, one episode from the archive, picked at random among those
// not picked for this subscription in the last eight weeks (the least recently
// picked when all were). It only reads.
func (d *Digester) Compose(ctx context.Context, sub store.Subscription, since, until time.Time) (Composition, error) {
	c, _, err := d.compose(ctx, sub, since, until)
	if err != nil {
		return Composition{}, fmt.Errorf("bot: digest: %w", err)
	}
	return c, nil
}

// compose is Compose, also returning how many episodes the feed has in all when it
// looked at the archive (0 then means the feed was never read).
func (d *Digester) compose(ctx context.Context, sub store.Subscription, since, until time.Time) (Composition, int, error) {
	c := Composition{Since: since, Until: until}
	eps, err := d.Store.EpisodesSince(ctx, sub.FeedID, since, until)
	if err != nil {
		return c, 0, err
	}
	for _, e := range eps {
		if d.matches(e.Episode, sub.Topics) {
			c.Episodes = append(c.Episodes, e)
		}
	}
	if len(c.Episodes) > 0 {
		c.Kind = store.KindDigest
		return c, len(eps), nil
	}
	all, err := d.Store.Episodes(ctx, sub.FeedID)
	if err != nil {
		return c, 0, err
	}
	pick, ok, err := d.archivePick(ctx, sub, all, until)
	if err != nil || !ok {
		return c, len(all), err
	}
	c.Kind, c.Episodes = store.KindDigestArchive, []store.Episode{pick}
	return c, len(all), nil
}

// archivePick picks the archive episode of a digest among the episodes published
// before until.
func (d *Digester) archivePick(ctx context.Context, sub store.Subscription, all []store.Episode, until time.Time) (store.Episode, bool, error) {
	var full, trailers []store.Episode
	for _, e := range all {
		if e.Published.IsZero() || !e.Published.Before(until) || !d.matches(e.Episode, sub.Topics) {
			continue
		}
		if e.Type == feeds.TypeTrailer {
			trailers = append(trailers, e)
		} else {
			full = append(full, e)
		}
	}
	// A trailer says little about the show's content: only when there is nothing else.
	cands := full
	if len(cands) == 0 {
		cands = trailers
	}
	if len(cands) == 0 {
		return store.Episode{}, false, nil
	}
	// A stable order, so that an injected Rand picks the same episode every time.
	sort.Slice(cands, func(i, j int) bool {
		if !cands[i].Published.Equal(cands[j].Published) {
			return cands[i].Published.Before(cands[j].Published)
		}
		return cands[i].ID < cands[j].ID
	})
	var picks []int64
	if sub.ID != 0 {
		var err error
		if picks, err = d.Store.ArchivePicks(ctx, sub.ID, d.now().Add(-archiveMemory)); err != nil {
			return store.Episode{}, false, err
		}
	}
	lastPick := make(map[int64]int, len(picks))
	for i, id := range picks {
		lastPick[id] = i
	}
	var fresh []store.Episode
	for _, e := range cands {
		if _, ok := lastPick[e.ID]; !ok {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) > 0 {
		return fresh[d.rand(len(fresh))], true, nil
	}
	// Every candidate was picked within the window: the least recently picked.
	best := cands[0]
	for _, e := range cands[1:] {
		if lastPick[e.ID] < lastPick[best.ID] {
			best = e
		}
	}
	return best, true, nil
}

// Preview returns the digest a channel would get if it were posted now: the
// episodes since its last digest (or since its latest scheduled time when it never
// had one), and when the next one is scheduled. It enqueues nothing. A channel
// following several feeds previews the first one with a digest.
func (d *Digester) Preview(ctx context.Context, platform, channel string) (commands.DigestPreview, error) {
	subs, err := d.Store.SubscriptionsOf(ctx, platform, channel)
	if err != nil {
		return commands.DigestPreview{}, fmt.Errorf("bot: digest preview: %w", err)
	}
	if len(subs) == 0 {
		return commands.DigestPreview{}, commands.Errorf("this channel follows no podcast: subscribe first")
	}
	sub := subs[0]
	for _, s := range subs {
		if s.DigestSchedule != "" {
			sub = s
			break
		}
	}
	now := d.now()
	var p commands.DigestPreview
	since := now.AddDate(0, 0, -7) // a channel without a schedule: the last week
	if sub.DigestSchedule != "" {
		sched, err := parseSchedule(sub.DigestSchedule, sub.DigestTimeZone)
		if err != nil {
			return commands.DigestPreview{}, fmt.Errorf("bot: digest preview: %w", err)
		}
		if at, ok := sched.prev(now); ok {
			since = at
		}
		if next, ok := sched.next(now); ok {
			p.Next = next.In(sched.loc) // shown in the channel's time zone
		}
		_, lastAt, ok, err := d.Store.LastDigest(ctx, sub.ID)
		if err != nil {
			return commands.DigestPreview{}, fmt.Errorf("bot: digest preview: %w", err)
		}
		if ok && lastAt.Before(since) {
			since = lastAt // the latest period is not posted yet: it is in the preview
		}
	}
	c, _, err := d.compose(ctx, sub, since, now)
	if err != nil {
		return commands.DigestPreview{}, fmt.Errorf("bot: digest preview: %w", err)
	}
	p.Since, p.Archive = since, c.Kind == store.KindDigestArchive
	for _, e := range c.Episodes {
		p.Episodes = append(p.Episodes, e.Episode)
	}
	return p, nil
}

// ForCLI composes the digest of a feed for `pmbot digest [--since DATE]`: the
// episodes published in [since, until), or an archive episode when there are none.
// A zero until is now; a zero since is one week before until. No rotation state is
// kept: the archive pick is simply random.
func (d *Digester) ForCLI(ctx context.Context, feedID int64, since, until time.Time) (Composition, error) {
	if until.IsZero() {
		until = d.now()
	}
	if since.IsZero() {
		since = until.AddDate(0, 0, -7)
	}
	return d.Compose(ctx, store.Subscription{FeedID: feedID}, since, until)
}

// digestTick is when the scheduler runs RunDue: every minute, on the minute.
//
// One entry for every subscription, rather than one cron entry per subscription
// schedule, because:
//   - subscriptions come and go (subscribe, unsubscribe, a config reload) while the
//     bot runs, and this needs no re-sync of cron entries;
//   - robfig/cron gets DST wrong for digests: it skips a 02:30 that does not exist
//     (the last Sunday of March in Europe/Paris) and fires twice at a 02:30 that
//     exists twice (the last Sunday of October); RunDue computes periods itself;
//   - RunDue is cheap when nothing is due (one query per subscription) and
//     idempotent, and standard cron specs have minute precision, so a tick on every
//     minute posts each digest within a second of its time.
const digestTick = "* * * * *"

// Run runs RunDue at start (the catch-up after downtime), then on every minute until
// ctx ends; after a run that enqueued digests it calls wake, which must not block,
// to nudge the dispatcher. It returns when ctx ends and the running job has
// finished.
func (d *Digester) Run(ctx context.Context, wake func()) error {
	log := d.logger()
	job := func() {
		n, err := d.RunDue(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("digests failed", "err", err)
			}
			return
		}
		if n > 0 && wake != nil {
			wake()
		}
	}
	job()
	cl := cronLogger{log}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	if _, err := c.AddFunc(digestTick, job); err != nil {
		return fmt.Errorf("bot: digest scheduler: %w", err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// cronLogger adapts a *slog.Logger to cron.Logger. Cron's info messages (every
// wake-up and run) go to debug, so that a tick every minute is not log noise.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, keysAndValues ...any) {
	c.l.Debug("cron: "+msg, keysAndValues...)
}

func (c cronLogger) Error(err error, msg string, keysAndValues ...any) {
	c.l.Error("cron: "+msg, append(keysAndValues, "err", err)...)
}

// scheduleError is a digest schedule or time zone that cannot be used.
type scheduleError struct {
	spec, tz string
	err      error
}

func (e *scheduleError) Error() string {
	return fmt.Sprintf("digest schedule %q in %q: %v", e.spec, e.tz, e.err)
}

func (e *scheduleError) Unwrap() error { return e.err }

// schedule is a cron spec read in a time zone's local wall-clock time.
//
// robfig/cron computes fire times on the zone's clock and gets DST transitions
// wrong for us (see digestTick). So the spec is evaluated on the wall clock alone,
// as if it were UTC, where every day has 24 hours, and each wall-clock fire time is
// then placed on the real time line by instant: a time that exists once is itself;
// a time that exists twice (the clock went back) is its first occurrence; a time
// that does not exist (the clock jumped over it) is the moment of the jump. So
// "30 2 * * 0" in Europe/Paris fires once on 29 March 2026, at 03:00 CEST, and once
// on 25 October 2026, at 02:30 CEST, like Vixie cron.
type schedule struct {
	spec *cron.SpecSchedule // in UTC, standing for the wall clock
	loc  *time.Location
}

func parseSchedule(spec, tz string) (schedule, error) {
	fail := func(err error) (schedule, error) { return schedule{}, &scheduleError{spec: spec, tz: tz, err: err} }
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return fail(errors.New("set the time zone apart, not in the spec"))
	}
	if tz == "" {
		tz = defaultTimeZone
	}
	if tz == "Local" {
		return fail(errors.New(`"Local" depends on the server; use an IANA zone name`))
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fail(err)
	}
	parsed, err := cron.ParseStandard(s)
	if err != nil {
		return fail(err)
	}
	ss, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		// @every counts from whenever the bot started: no fixed local time.
		return fail(errors.New("use a calendar spec such as \"0 9 * * 1\", not @every"))
	}
	wall := *ss
	wall.Location = time.UTC
	return schedule{spec: &wall, loc: loc}, nil
}

// wall returns the local clock reading at t, as a UTC time.
func (s schedule) wall(t time.Time) time.Time {
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// instant returns the first moment the local clock reads w or later: w itself when
// it exists, its first occurrence when the clock went back over it, and the moment
// the clock jumped when it skipped w. Results are in UTC.
func (s schedule) instant(w time.Time) time.Time {
	t0 := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, s.loc)
	start, end := t0.ZoneBounds()
	_, off := t0.Zone()
	offsets := []int{off}
	if !start.IsZero() {
		_, o := start.Add(-time.Second).Zone()
		offsets = append(offsets, o)
	}
	if !end.IsZero() {
		_, o := end.Zone()
		offsets = append(offsets, o)
	}
	var best time.Time
	for _, o := range offsets {
		c := w.Add(-time.Duration(o) * time.Second)
		if s.wall(c).Equal(w) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best.UTC()
	}
	// w was skipped: the jump is the zone boundary the clock crossed over it.
	for _, b := range []time.Time{start, end} {
		if !b.IsZero() && !s.wall(b).Before(w) && s.wall(b.Add(-time.Second)).Before(w) {
			return b.UTC()
		}
	}
	return t0.UTC()
}

// prev returns the latest fire time at or before now; ok is false when the spec
// never fired in the last five years (31 February).
func (s schedule) prev(now time.Time) (time.Time, bool) {
	// Fire times are searched on the wall clock up to dstMargin past now's reading
	// (during a repeated hour the clock reads less than it already did), in windows
	// that double until one holds a fire time at or before now.
	top := s.wall(now).Add(dstMargin)
	for back := 2 * dstMargin; back < 6*366*24*time.Hour; back *= 2 {
		var best time.Time
		w := s.spec.Next(top.Add(-back))
		for i := 0; i < maxFires && !w.IsZero() && !w.After(top); i++ {
			if at := s.instant(w); !at.After(now) {
				best = at
			}
			w = s.spec.Next(w)
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}

// next returns the first fire time after t; ok is false when there is none within
// five years.
func (s schedule) next(t time.Time) (time.Time, bool) {
	w := s.spec.Next(s.wall(t).Add(-dstMargin))
	for i := 0; i < maxFires && !w.IsZero(); i++ {
		if at := s.instant(w); at.After(t) {
			return at, true
		}
		w = s.spec.Next(w)
	}
	return time.Time{}, false
}
