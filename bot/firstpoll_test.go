package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pmbot/pmbot/commands"
)

// TestQuestionsWaitForTheFirstPoll: on a fresh database, a question asked while
// the feed's first poll is under way never answers "no episode 2": it waits for
// the poll, or says the feed is still being read.
func TestQuestionsWaitForTheFirstPoll(t *testing.T) {
	h := newHarness(t)
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-gate // the feed host is slow: it answers when the test says so
		io.WriteString(w, rss(1, 3, ""))
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}()
	h.poller.Sources[0].URL = srv.URL + "/feed.xml"
	h.db.EnsureFeed(context.Background(), "test", h.poller.Sources[0].URL)
	polled := make(chan PollReport, 1)
	go func() {
		reps, _, _ := h.poller.PollDue(context.Background(), true)
		polled <- reps[0]
	}()

	impatient := Catalog{Store: h.db, Feed: "test"}
	_, err := impatient.ByNumber(context.Background(), 2)
	var ue *commands.UserError
	if !errors.As(err, &ue) || ue.Msg != "the feed is still being read for the first time; ask again in a few seconds" {
		t.Fatalf("ByNumber during the first poll = %v, want the feed is still being read", err)
	}
	if _, err := (&Searcher{Store: h.db, Feed: "test"}).Search(context.Background(), "episode", 5); !errors.As(err, &ue) {
		t.Fatalf("search during the first poll = %v, want the feed is still being read", err)
	}

	patient := Catalog{Store: h.db, Feed: "test", FirstPollWait: 10 * time.Minute}
	type answer struct {
		number int
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		ep, err := patient.ByNumber(context.Background(), 2)
		answered <- answer{ep.Number, err}
	}()
	close(gate)
	if r := <-polled; r.Err != nil {
		t.Fatalf("first poll: %v", r.Err)
	}
	if got := <-answered; got.err != nil || got.number != 2 {
		t.Fatalf("ByNumber waiting for the first poll = #%d, %v; want episode 2", got.number, got.err)
	}
}

// TestFirstPollFailureIsExplained: once a first poll has failed, questions do not
// wait: they say why there is nothing.
func TestFirstPollFailureIsExplained(t *testing.T) {
	h := newHarness(t)
	h.srv.set(http.StatusNotFound, "", nil)
	h.poll(t)
	c := Catalog{Store: h.db, Feed: "test", FirstPollWait: 10 * time.Minute}
	_, err := c.Latest(context.Background(), 1)
	var ue *commands.UserError
	if !errors.As(err, &ue) || ue.Key != "no episodes yet: the feed could not be read (%s); next try at %s UTC" {
		t.Fatalf("Latest after a failed first poll = %v, want why the feed could not be read", err)
	}
}
