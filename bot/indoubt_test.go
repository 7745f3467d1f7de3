package bot

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// doubtPoster records whether each attempt was told the message may be out
// already, and fails as scripted.
type doubtPoster struct {
	fail  []error
	doubt []bool
}

func (p *doubtPoster) Post(_ context.Context, d Delivery, _ Message) (string, error) {
	p.doubt = append(p.doubt, d.MayHavePosted)
	if len(p.fail) > 0 {
		err := p.fail[0]
		p.fail = p.fail[1:]
		return "", err
	}
	return "m1", nil
}

// A delivery whose post may have gone out stays in doubt until a post
// succeeds: a rate limit met while looking for the earlier post (a 429 on the
// history read) says nothing was posted by that attempt, not that the earlier
// one posted nothing. Clearing the doubt there made the next attempt post
// again without looking: a duplicate.
func TestDoubtOutlivesARateLimit(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	h.poll(t)
	poster := &doubtPoster{fail: []error{
		errors.New("timeout: the post may have gone out"),
		&RetryAfterError{Err: errors.New("429 on the history read"), After: time.Second},
	}}
	d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": poster}, Logger: quietLogger(), Now: h.clock.Now}
	for range 3 {
		if _, err := d.DispatchDue(ctx); err != nil {
			t.Fatal(err)
		}
		h.clock.Add(time.Hour)
	}
	if diff := cmp.Diff([]bool{false, true, true}, poster.doubt); diff != "" {
		t.Errorf("MayHavePosted per attempt (-want +got):\n%s", diff)
	}
}
