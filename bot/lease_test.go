package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// fakeLeaser hands out the lease when granting says so.
type fakeLeaser struct {
	mu       sync.Mutex
	granting bool
	asked    int
	leases   []*fakeLease
	changed  chan struct{} // receives after every AcquireLease
}

func (f *fakeLeaser) AcquireLease(ctx context.Context, name string) (store.Lease, error) {
	f.mu.Lock()
	defer func() {
		f.mu.Unlock()
		select {
		case f.changed <- struct{}{}:
		default:
		}
	}()
	f.asked++
	if name != LeaseName || !f.granting {
		return nil, store.ErrLeaseHeld
	}
	f.granting = false
	l := &fakeLease{lost: make(chan struct{})}
	f.leases = append(f.leases, l)
	return l, nil
}

func (f *fakeLeaser) set(granting bool) (asked int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.granting = granting
	return f.asked
}

type fakeLease struct {
	once     sync.Once
	lost     chan struct{}
	mu       sync.Mutex
	released bool
}

func (l *fakeLease) Lost() <-chan struct{} { return l.lost }
func (l *fakeLease) lose()                 { l.once.Do(func() { close(l.lost) }) }
func (l *fakeLease) Release() {
	l.mu.Lock()
	l.released = true
	l.mu.Unlock()
	l.lose()
}

// fakeScheduler reports when its Run starts and ends.
type fakeScheduler struct{ started, stopped chan struct{} }

func (s *fakeScheduler) Run(ctx context.Context, wake func()) error {
	s.started <- struct{}{}
	<-ctx.Done()
	s.stopped <- struct{}{}
	return nil
}

// fakePruner reports each prune's cut.
type fakePruner struct{ before chan time.Time }

func (p *fakePruner) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	p.before <- before
	return 0, nil
}

// The poller, the digest scheduler and the outbox's pruning run only while the
// bot holds the lease:
// without it nothing is polled, and the bot keeps asking; once granted both run;
// when the lease is lost both stop at once and the bot asks again; at shutdown
// the lease is released.
func TestLeaseGatesPollsAndDigests(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Memory, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs := &feedServer{status: http.StatusOK, body: rss(1, 3, "")}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	hits := func() int {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return fs.hits
	}
	leaser := &fakeLeaser{changed: make(chan struct{}, 1)}
	sched := &fakeScheduler{started: make(chan struct{}, 4), stopped: make(chan struct{}, 4)}
	pruner := &fakePruner{before: make(chan time.Time, 4)}
	b := &Bot{
		Pruner: pruner,
		Poller: &Poller{Store: db, Fetcher: feeds.NewFetcher(feeds.FetcherOptions{Timeout: time.Minute}),
			Sources: []FeedSource{{Name: "test", URL: srv.URL + "/feed.xml"}}, Interval: 15 * time.Minute, Logger: quietLogger()},
		Dispatcher: &Dispatcher{Store: db, Logger: quietLogger()},
		Digests:    sched,
		Leaser:     leaser,
		LeaseRetry: 5 * time.Millisecond,
		Logger:     quietLogger(),
	}
	if _, err := db.EnsureFeed(ctx, "test", srv.URL+"/feed.xml"); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	waitAsked := func(n int) {
		t.Helper()
		for leaser.set(false) < n {
			wait(leaser.changed, "AcquireLease")
		}
	}

	waitAsked(3) // another replica holds it
	if n := hits(); n != 0 {
		t.Fatalf("the feed was fetched %d times without the lease", n)
	}
	select {
	case <-sched.started:
		t.Fatal("the digest scheduler ran without the lease")
	case <-pruner.before:
		t.Fatal("the outbox was pruned without the lease")
	default:
	}

	leaser.set(true)
	wait(sched.started, "the digest scheduler to start")
	select {
	case before := <-pruner.before:
		if d := time.Since(before) - DefaultRetention; d < 0 || d > time.Minute {
			t.Errorf("pruned the deliveries sent before %s, want %s ago", before, DefaultRetention)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the outbox was not pruned with the lease")
	}
	deadline := time.Now().Add(10 * time.Second)
	for hits() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the feed was not polled with the lease")
		}
		time.Sleep(5 * time.Millisecond)
	}

	leaser.mu.Lock()
	held := leaser.leases[0]
	asked := leaser.asked
	leaser.mu.Unlock()
	held.lose()
	wait(sched.stopped, "the digest scheduler to stop when the lease was lost")
	waitAsked(asked + 2) // asking again
	if n := hits(); n != 1 {
		t.Errorf("the feed was fetched %d times, want 1", n)
	}

	leaser.set(true)
	wait(sched.started, "the digest scheduler to start again")
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	wait(sched.stopped, "the digest scheduler to stop at shutdown")
	leaser.mu.Lock()
	defer leaser.mu.Unlock()
	for i, l := range leaser.leases {
		l.mu.Lock()
		if !l.released {
			t.Errorf("lease %d not released", i)
		}
		l.mu.Unlock()
	}
}
