package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the DST cases need Europe/Paris on any test machine

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestScheduleDST(t *testing.T) {
	// Europe/Paris, 2026: clocks go 02:00 -> 03:00 on Sunday 29 March, and
	// 03:00 -> 02:00 on Sunday 25 October.
	tests := []struct {
		name      string
		spec      string
		now       string
		wantPrev  string
		wantNext  string
		wantNoPre bool
	}{
		{"Monday 9:00, the Sunday the clocks go forward", "0 9 * * 1", "2026-03-29T12:00:00Z", "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", false},
		{"Monday 9:00, just before the first summer Monday", "0 9 * * 1", "2026-03-30T06:59:59Z", "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", false},
		{"Monday 9:00, at the first summer Monday", "0 9 * * 1", "2026-03-30T07:00:00Z", "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z", false},
		{"Monday 9:00, the Sunday the clocks go back", "0 9 * * 1", "2026-10-25T12:00:00Z", "2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", false},
		{"Monday 9:00, at the first winter Monday", "0 9 * * 1", "2026-10-26T08:00:00Z", "2026-10-26T08:00:00Z", "2026-11-02T08:00:00Z", false},
		// 02:30 does not exist on 29 March: the digest comes when the clock jumps, 03:00 CEST.
		{"Sunday 2:30, before the skipped 2:30", "30 2 * * 0", "2026-03-29T00:59:59Z", "2026-03-22T01:30:00Z", "2026-03-29T01:00:00Z", false},
		{"Sunday 2:30, at the jump", "30 2 * * 0", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z", false},
		// 02:30 happens twice on 25 October: the first one, 02:30 CEST, only.
		{"Sunday 2:30, first 2:30", "30 2 * * 0", "2026-10-25T00:30:00Z", "2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z", false},
		{"Sunday 2:30, second 2:30", "30 2 * * 0", "2026-10-25T01:30:00Z", "2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z", false},
		{"Sunday 2:30, in the repeated hour after the second 2:30", "30 2 * * 0", "2026-10-25T01:45:00Z", "2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z", false},
		{"daily 9:00 on the forward Sunday", "0 9 * * *", "2026-03-29T07:30:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", false},
		{"monthly on the 1st", "0 9 1 * *", "2026-03-15T00:00:00Z", "2026-03-01T08:00:00Z", "2026-04-01T07:00:00Z", false},
		{"monthly on the 31st skips short months", "0 9 31 * *", "2026-03-01T00:00:00Z", "2026-01-31T08:00:00Z", "2026-03-31T07:00:00Z", false},
		// Midnight on 29 March is still winter time: the jump is at 2:00.
		{"@weekly is Sunday midnight", "@weekly", "2026-03-30T12:00:00Z", "2026-03-28T23:00:00Z", "2026-04-04T22:00:00Z", false},
		{"31 February never fires", "0 9 31 2 *", "2026-03-01T00:00:00Z", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSchedule(tt.spec, "Europe/Paris")
			if err != nil {
				t.Fatalf("parseSchedule(%q): %v", tt.spec, err)
			}
			now := utc(tt.now)
			prev, ok := s.prev(now)
			if tt.wantNoPre {
				if ok {
					t.Errorf("prev(%s) = %v, want none", tt.now, prev)
				}
				return
			}
			if !ok || PeriodKey(prev) != tt.wantPrev {
				t.Errorf("prev(%s) = %s, %v; want %s", tt.now, PeriodKey(prev), ok, tt.wantPrev)
			}
			next, ok := s.next(now)
			if !ok || PeriodKey(next) != tt.wantNext {
				t.Errorf("next(%s) = %s, %v; want %s", tt.now, PeriodKey(next), ok, tt.wantNext)
			}
		})
	}
}

// TestRobfigDST records what robfig/cron itself does on the DST Sundays, which is
// why the Digester computes periods itself and uses cron only as a ticker: it skips
// the week whose fire time does not exist, and fires twice when it exists twice.
func TestRobfigDST(t *testing.T) {
	s, err := cron.ParseStandard("CRON_TZ=Europe/Paris 30 2 * * 0")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Next(utc("2026-03-28T12:00:00Z")).UTC(); !got.Equal(utc("2026-04-05T00:30:00Z")) {
		t.Errorf("robfig Next before 29 March = %v; it used to skip that Sunday (2026-04-05T00:30:00Z)", got)
	}
	if got := s.Next(utc("2026-10-25T00:30:00Z")).UTC(); !got.Equal(utc("2026-10-25T01:30:00Z")) {
		t.Errorf("robfig Next after the first 2:30 of 25 October = %v; it used to fire again at the second (2026-10-25T01:30:00Z)", got)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ spec, tz string }{
		{"@every 1h", "Europe/Paris"},
		{"CRON_TZ=UTC 0 9 * * 1", "Europe/Paris"},
		{"61 9 * * 1", "Europe/Paris"},
		{"0 9 * *", "Europe/Paris"},
		{"0 9 * * 1", "Mars/Olympus"},
		{"0 9 * * 1", "Local"},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.tz, func(t *testing.T) {
			_, err := parseSchedule(tt.spec, tt.tz)
			var se *scheduleError
			if !errors.As(err, &se) {
				t.Errorf("parseSchedule(%q, %q) = %v, want a scheduleError", tt.spec, tt.tz, err)
			}
		})
	}
	if _, err := parseSchedule("0 9 * * 1", ""); err != nil {
		t.Errorf("parseSchedule without a zone = %v, want the default zone", err)
	}
}

// digestEnv is a database with one feed and a Digester on it.
type digestEnv struct {
	db    *store.DB
	clock *clock
	feed  store.Feed
	d     *Digester
	eps   []feeds.Episode
}

func newDigestEnv(t *testing.T, now time.Time) *digestEnv {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: now}
	db, err := store.Open(ctx, store.Memory, store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	return &digestEnv{db: db, clock: c, feed: f, d: newTestDigester(db, c)}
}

func newTestDigester(db *store.DB, c *clock) *Digester {
	return &Digester{Store: db, Logger: slog.New(slog.DiscardHandler), Now: c.Now, Rand: func(int) int { return 0 }}
}

// subscribe subscribes a channel, with the default weekly digest, at the clock's time.
func (e *digestEnv) subscribe(t *testing.T, channel, spec string) store.Subscription {
	t.Helper()
	s, err := e.db.EnsureSubscription(context.Background(), store.Subscription{Platform: "slack", Channel: channel, FeedID: e.feed.ID, Language: "fr",
		DigestSchedule: spec, DigestTimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// publish records episodes numbered n published at the given times, as a poll of
// the whole feed.
func (e *digestEnv) publish(t *testing.T, n int, at ...string) {
	t.Helper()
	for i, s := range at {
		num := n + i
		e.eps = append([]feeds.Episode{{
			GUID: fmt.Sprintf("g%d", num), Number: num, Type: feeds.TypeFull, Title: fmt.Sprintf("Episode %d", num),
			Published: utc(s),
			Notes:     feeds.Notes{Takeaways: []string{fmt.Sprintf("takeaway %d.1", num), fmt.Sprintf("takeaway %d.2", num)}},
		}}, e.eps...)
	}
	if _, err := store.RecordPoll(context.Background(), e.db, e.feed.ID, e.eps, feeds.Policy{FloodLimit: 3}, nil); err != nil {
		t.Fatal(err)
	}
}

// catalogue publishes n episodes weekly through 2025.
func (e *digestEnv) catalogue(t *testing.T, n int) {
	t.Helper()
	var at []string
	for i := range n {
		at = append(at, time.Date(2025, 1, 6, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format(time.RFC3339))
	}
	e.publish(t, 1, at...)
}

func (e *digestEnv) runDue(t *testing.T, d *Digester) int {
	t.Helper()
	n, err := d.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue at %v: %v", e.clock.Now(), err)
	}
	return n
}

// digestRow is a digest delivery as tests compare it.
type digestRow struct {
	Channel   string
	Key       string
	Kind      string
	Numbers   []int
	Takeaways []string // the first takeaway of each episode
}

func (e *digestEnv) digests(t *testing.T) []digestRow {
	t.Helper()
	ctx := context.Background()
	dls, err := e.db.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []digestRow
	for _, dl := range dls {
		if dl.Kind != store.KindDigest && dl.Kind != store.KindDigestArchive {
			continue
		}
		eps, err := e.db.EpisodesByID(ctx, dl.EpisodeIDs)
		if err != nil {
			t.Fatal(err)
		}
		r := digestRow{Channel: dl.Subscription.Channel, Key: dl.DedupeKey, Kind: dl.Kind}
		for _, ep := range eps {
			r.Numbers = append(r.Numbers, ep.Number)
			if len(ep.Notes.Takeaways) > 0 {
				r.Takeaways = append(r.Takeaways, ep.Notes.Takeaways[0])
			}
		}
		out = append(out, r)
	}
	return out
}

// TestRunDueOnDSTDays steps the clock minute by minute through the DST days and
// checks that each period gets exactly one digest, enqueued at its time.
func TestRunDueOnDSTDays(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		from, to string
		want     string // the one period
	}{
		{"Sunday 2:30 that does not exist", "30 2 * * 0", "2026-03-28T22:00:00Z", "2026-03-29T04:00:00Z", "2026-03-29T01:00:00Z"},
		{"Sunday 2:30 that exists twice", "30 2 * * 0", "2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z", "2026-10-25T00:30:00Z"},
		{"Monday 9:00 after the clocks went forward", "0 9 * * 1", "2026-03-30T05:00:00Z", "2026-03-30T10:00:00Z", "2026-03-30T07:00:00Z"},
		{"Monday 9:00 after the clocks went back", "0 9 * * 1", "2026-10-26T05:00:00Z", "2026-10-26T10:00:00Z", "2026-10-26T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDigestEnv(t, utc(tt.from))
			e.catalogue(t, 3)
			e.subscribe(t, "C1", tt.spec)
			var enqueuedAt []string
			for now := utc(tt.from); !now.After(utc(tt.to)); now = now.Add(time.Minute) {
				e.clock.Set(now)
				if n := e.runDue(t, e.d); n > 0 {
					enqueuedAt = append(enqueuedAt, fmt.Sprintf("%d at %s", n, PeriodKey(now)))
				}
			}
			if diff := cmp.Diff(enqueuedAt, []string{"1 at " + tt.want}); diff != "" {
				t.Errorf("digests enqueued (-got +want):\n%s", diff)
			}
			var keys []string
			for _, r := range e.digests(t) {
				keys = append(keys, r.Key)
			}
			if diff := cmp.Diff(keys, []string{"digest:" + tt.want}); diff != "" {
				t.Errorf("digest deliveries (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDigestContent(t *testing.T) {
	// Subscribed on Monday 2 March 2026 at 11:00 Paris, after that day's 9:00.
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.catalogue(t, 5)
	e.subscribe(t, "C1", "0 9 * * 1")
	if n := e.runDue(t, e.d); n != 0 {
		t.Fatalf("RunDue just after subscribing enqueued %d digests, want 0 (that period came before the subscription)", n)
	}
	// Two episodes in the week, one after its digest time.
	e.publish(t, 6, "2026-03-04T06:00:00Z", "2026-03-06T17:00:00Z", "2026-03-09T08:30:00Z")
	e.clock.Set(utc("2026-03-09T08:00:00Z")) // Monday 9 March, 9:00 CET
	if n := e.runDue(t, e.d); n != 1 {
		t.Fatalf("RunDue on Monday 9:00 = %d, want 1", n)
	}
	// No new episode the next week but the one after the last digest's time; then an
	// empty week: from the archive.
	e.clock.Set(utc("2026-03-16T08:00:00Z"))
	e.runDue(t, e.d)
	e.clock.Set(utc("2026-03-23T08:00:00Z"))
	e.runDue(t, e.d)
	want := []digestRow{
		{"C1", "digest:2026-03-09T08:00:00Z", store.KindDigest, []int{6, 7}, []string{"takeaway 6.1", "takeaway 7.1"}},
		{"C1", "digest:2026-03-16T08:00:00Z", store.KindDigest, []int{8}, []string{"takeaway 8.1"}},
		{"C1", "digest:2026-03-23T08:00:00Z", store.KindDigestArchive, []int{1}, []string{"takeaway 1.1"}},
	}
	if diff := cmp.Diff(e.digests(t), want); diff != "" {
		t.Errorf("digests (-got +want):\n%s", diff)
	}
}

func TestArchiveRotation(t *testing.T) {
	seeded := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name      string
		episodes  int
		weeks     int
		rand      func(int) int
		wantPicks []int // nil: only check the eight-week rule
	}{
		{"first candidate each time", 10, 12, func(int) int { return 0 }, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3}},
		{"random", 10, 12, seeded.IntN, nil},
		{"last candidate each time", 9, 12, func(n int) int { return n - 1 }, nil},
		{"catalogue smaller than eight weeks: least recently picked", 3, 5, func(int) int { return 0 }, []int{1, 2, 3, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
			e.catalogue(t, tt.episodes)
			e.subscribe(t, "C1", "0 9 * * 1")
			e.d.Rand = tt.rand
			monday := utc("2026-03-09T08:00:00Z")
			for w := range tt.weeks {
				// Past the DST change the Monday digest is at 07:00Z; an hour late is fine.
				e.clock.Set(monday.AddDate(0, 0, 7*w).Add(time.Hour))
				if n := e.runDue(t, e.d); n != 1 {
					t.Fatalf("week %d: RunDue = %d, want 1", w, n)
				}
			}
			var picks []int
			for _, r := range e.digests(t) {
				if r.Kind != store.KindDigestArchive || len(r.Numbers) != 1 {
					t.Fatalf("digest %+v, want one archive episode", r)
				}
				picks = append(picks, r.Numbers[0])
			}
			if tt.wantPicks != nil {
				if diff := cmp.Diff(picks, tt.wantPicks); diff != "" {
					t.Errorf("archive picks (-got +want):\n%s", diff)
				}
			}
			if tt.episodes > 8 {
				last := make(map[int]int)
				for w, p := range picks {
					if prev, ok := last[p]; ok && w-prev <= 8 {
						t.Errorf("episode %d picked in weeks %d and %d, within eight weeks (picks %v)", p, prev, w, picks)
					}
					last[p] = w
				}
			}
		})
	}
}

func TestDownForTwoWeeks(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.catalogue(t, 3)
	e.subscribe(t, "C1", "0 9 * * 1")
	e.clock.Set(utc("2026-03-09T08:00:00Z"))
	if n := e.runDue(t, e.d); n != 1 {
		t.Fatalf("RunDue on 9 March = %d, want 1", n)
	}
	// The bot stops; two weeks of episodes (and one after the latest digest time).
	e.publish(t, 4, "2026-03-11T06:00:00Z", "2026-03-18T06:00:00Z", "2026-03-23T12:00:00Z")
	e.clock.Set(utc("2026-03-24T08:00:00Z")) // 15 days later, a Tuesday
	for i, want := range []int{1, 0} {
		if n := e.runDue(t, e.d); n != want {
			t.Errorf("RunDue #%d after two weeks down = %d, want %d", i+1, n, want)
		}
	}
	got := e.digests(t)
	want := []digestRow{
		{"C1", "digest:2026-03-09T08:00:00Z", store.KindDigestArchive, []int{1}, []string{"takeaway 1.1"}},
		{"C1", "digest:2026-03-23T08:00:00Z", store.KindDigest, []int{4, 5}, []string{"takeaway 4.1", "takeaway 5.1"}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("digests (-got +want):\n%s", diff)
	}
}

func TestRunDueIsIdempotent(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.catalogue(t, 3)
	e.subscribe(t, "C1", "0 9 * * 1")
	e.subscribe(t, "C2", "0 9 * * 1")
	e.publish(t, 4, "2026-03-04T06:00:00Z")
	e.clock.Set(utc("2026-03-09T08:00:00Z"))
	// Two schedulers on one database, twice each, at once.
	other := newTestDigester(e.db, e.clock)
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, d := range []*Digester{e.d, other, e.d, other} {
		wg.Go(func() {
			n, err := d.RunDue(context.Background())
			if err != nil {
				t.Errorf("RunDue: %v", err)
			}
			total.Add(int64(n))
		})
	}
	wg.Wait()
	if total.Load() != 2 {
		t.Errorf("RunDue enqueued %d digests in all, want 2 (one per channel)", total.Load())
	}
	want := []digestRow{
		{"C1", "digest:2026-03-09T08:00:00Z", store.KindDigest, []int{4}, []string{"takeaway 4.1"}},
		{"C2", "digest:2026-03-09T08:00:00Z", store.KindDigest, []int{4}, []string{"takeaway 4.1"}},
	}
	if diff := cmp.Diff(e.digests(t), want); diff != "" {
		t.Errorf("digests (-got +want):\n%s", diff)
	}
}

func TestRunDueSkipsBadSchedules(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.catalogue(t, 3)
	e.subscribe(t, "bad", "@every 1h")
	e.subscribe(t, "C1", "0 9 * * 1")
	var warnings int
	e.d.Logger = slog.New(recordHandler(func(r slog.Record) {
		if r.Level == slog.LevelWarn {
			warnings++
		}
	}))
	e.clock.Set(utc("2026-03-09T08:00:00Z"))
	if n := e.runDue(t, e.d); n != 1 {
		t.Errorf("RunDue = %d, want 1 (the bad schedule skipped, the good one run)", n)
	}
	e.clock.Set(utc("2026-03-09T08:01:00Z"))
	e.runDue(t, e.d)
	if warnings != 1 {
		t.Errorf("%d warnings for the bad schedule over two runs, want 1", warnings)
	}
}

func TestRunDueWaitsForTheFirstPoll(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.subscribe(t, "C1", "0 9 * * 1")
	e.clock.Set(utc("2026-03-09T08:00:00Z"))
	if n := e.runDue(t, e.d); n != 0 {
		t.Fatalf("RunDue with no episode at all = %d, want 0", n)
	}
	e.publish(t, 1, "2026-03-04T06:00:00Z")
	e.clock.Set(utc("2026-03-09T08:01:00Z"))
	if n := e.runDue(t, e.d); n != 1 {
		t.Errorf("RunDue once the feed was read = %d, want 1: the period was not given up", n)
	}
}

func TestPreview(t *testing.T) {
	ctx := context.Background()
	e := newDigestEnv(t, utc("2026-03-02T10:00:00Z"))
	e.catalogue(t, 3)
	e.subscribe(t, "C1", "0 9 * * 1")
	e.clock.Set(utc("2026-03-09T08:00:00Z"))
	e.runDue(t, e.d)
	e.publish(t, 4, "2026-03-10T06:00:00Z")

	type preview struct {
		Since, Next string
		Archive     bool
		Numbers     []int
	}
	tests := []struct {
		name string
		now  string
		want preview
	}{
		{"an episode since the last digest", "2026-03-12T12:00:00Z", preview{"2026-03-09T08:00:00Z", "2026-03-16T08:00:00Z", false, []int{4}}},
		{"latest period not posted yet", "2026-03-16T08:00:30Z", preview{"2026-03-09T08:00:00Z", "2026-03-23T08:00:00Z", false, []int{4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Set(utc(tt.now))
			p, err := e.d.Preview(ctx, "slack", "C1")
			if err != nil {
				t.Fatal(err)
			}
			got := preview{Since: PeriodKey(p.Since), Next: PeriodKey(p.Next), Archive: p.Archive}
			for _, ep := range p.Episodes {
				got.Numbers = append(got.Numbers, ep.Number)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Preview (-got +want):\n%s", diff)
			}
		})
	}
	t.Run("archive when nothing is new", func(t *testing.T) {
		e.clock.Set(utc("2026-03-16T08:00:00Z"))
		e.runDue(t, e.d)
		e.clock.Set(utc("2026-03-18T08:00:00Z"))
		p, err := e.d.Preview(ctx, "slack", "C1")
		if err != nil {
			t.Fatal(err)
		}
		if !p.Archive || len(p.Episodes) != 1 {
			t.Errorf("Preview = %+v, want one archive episode", p)
		}
	})
	t.Run("channel not subscribed", func(t *testing.T) {
		_, err := e.d.Preview(ctx, "slack", "nobody")
		var ue *commands.UserError
		if !errors.As(err, &ue) {
			t.Errorf("Preview of an unsubscribed channel = %v, want a UserError", err)
		}
	})
	if ds := e.digests(t); len(ds) != 2 {
		t.Errorf("after previews, %d digests; want 2: a preview enqueues nothing", len(ds))
	}
}

func TestForCLI(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-12T10:00:00Z"))
	e.catalogue(t, 3)
	e.publish(t, 4, "2026-03-04T06:00:00Z", "2026-03-10T06:00:00Z")
	tests := []struct {
		name        string
		since       time.Time
		wantKind    string
		wantNumbers []int
	}{
		{"default: the last week", time.Time{}, store.KindDigest, []int{5}},
		{"since a date", utc("2026-03-01T00:00:00Z"), store.KindDigest, []int{4, 5}},
		{"an empty window: from the archive", utc("2026-03-11T00:00:00Z"), store.KindDigestArchive, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.d.ForCLI(context.Background(), e.feed.ID, tt.since, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			var nums []int
			for _, ep := range c.Episodes {
				nums = append(nums, ep.Number)
			}
			if c.Kind != tt.wantKind || !cmp.Equal(nums, tt.wantNumbers) {
				t.Errorf("ForCLI(since %v) = %s %v, want %s %v", tt.since, c.Kind, nums, tt.wantKind, tt.wantNumbers)
			}
		})
	}
}

func TestDigesterRun(t *testing.T) {
	e := newDigestEnv(t, utc("2026-03-02T07:00:00Z"))
	e.catalogue(t, 3)
	e.subscribe(t, "C1", "0 9 * * 1")
	e.clock.Set(utc("2026-03-09T08:05:00Z")) // the bot starts 5 minutes after digest time
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wakes atomic.Int64
	woken := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- e.d.Run(ctx, func() {
			wakes.Add(1)
			select {
			case woken <- struct{}{}:
			default:
			}
		})
	}()
	// Stopped once the catch-up has woken the dispatcher, however long that took;
	// the minute is a safety net, not a measure.
	select {
	case <-woken:
	case <-time.After(time.Minute):
		t.Fatal("no catch-up at start")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
	if wakes.Load() != 1 {
		t.Errorf("wake called %d times, want 1 (after the catch-up at start)", wakes.Load())
	}
	if ds := e.digests(t); len(ds) != 1 || ds[0].Key != "digest:2026-03-09T08:00:00Z" {
		t.Errorf("digests after Run = %+v, want the 9 March one", ds)
	}
}

func TestCronLogger(t *testing.T) {
	var levels []slog.Level
	var errs []string
	l := slog.New(recordHandler(func(r slog.Record) {
		levels = append(levels, r.Level)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "err" {
				errs = append(errs, a.Value.String())
			}
			return true
		})
	}))
	cl := cronLogger{l}
	cl.Info("wake", "now", time.Time{})
	cl.Error(errors.New("boom"), "panic", "stack", "...")
	if diff := cmp.Diff(levels, []slog.Level{slog.LevelDebug, slog.LevelError}); diff != "" {
		t.Errorf("levels (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(errs, []string{"boom"}); diff != "" {
		t.Errorf("err attributes (-got +want):\n%s", diff)
	}
}

// recordHandler passes every record to a function.
type recordHandler func(slog.Record)

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h(r)
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }
