package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Feed is a followed feed and what we remember about it between polls.
type Feed struct {
	ID   int64
	Name string
	// Source is how the feed is configured (a URL, "apple:<page>",
	// "name:<title>|<author>"): the feed's identity (see EnsureFeed). URL is
	// where it was last found, which moves without changing the feed.
	Source       string
	URL          string
	Title        string
	ETag         string
	LastModified string
	NextPollAt   time.Time
	LastPolledAt time.Time
	Failures     int
	// FailingSince is when the current run of failures began (zero when healthy).
	FailingSince time.Time
	LastError    string
	// Polls counts successful polls that returned content; 0 means the first poll
	// is still to come.
	Polls int
	// Changes counts the polls that recorded new or changed episodes: what a
	// saved search index is checked against (bot.IndexRefresher).
	Changes int
}

const feedColumns = `id, name, source, url, title, etag, last_modified, next_poll_at, last_polled_at, failures, failing_since, last_error, polls, changes`

func scanFeed(row interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var next, polled, failing int64
	err := row.Scan(&f.ID, &f.Name, &f.Source, &f.URL, &f.Title, &f.ETag, &f.LastModified, &next, &polled, &f.Failures, &failing, &f.LastError, &f.Polls, &f.Changes)
	f.NextPollAt, f.LastPolledAt, f.FailingSince = fromUnix(next), fromUnix(polled), fromUnix(failing)
	return f, err
}

// EnsureFeed returns the feed configured as source under name, creating it when
// new.
//
// A feed is its source (the configured URL, "apple:<page>" or
// "name:<title>|<author>"), never its name alone, so two podcasts never share
// episodes:
//   - the feed with this source keeps its row (episodes, fetch state, polls) and
//     takes the name if it had another one (the admin renamed it);
//   - a row that holds the name under another source (the admin pointed the name
//     at another podcast) is retired: renamed to name+"~"+id, with its episodes
//     and subscriptions untouched, and no longer polled. The new source gets a
//     new row, whose first poll records the catalogue and announces nothing.
//
// A URL that moves (<itunes:new-feed-url>, a permanent redirect) changes the
// feed's URL, through SaveFeedState, not its source: it stays the same feed.
// Rows from before sources were recorded (an empty source) adopt the source
// they are ensured with. When several rows hold the source (older pmbots made a
// new row on a rename), the one with this name wins, else the oldest.
func (d *DB) EnsureFeed(ctx context.Context, name, source string) (Feed, error) {
	var f Feed
	err := d.tx(ctx, func(tx *sql.Tx) error {
		// Where writers run side by side, one EnsureFeed at a time: two replicas
		// starting at once must not both add (or retire) the same feed.
		if d.sql.lockFeedNames != "" {
			if _, err := tx.ExecContext(ctx, d.sql.lockFeedNames); err != nil {
				return err
			}
		}
		id, err := feedIDBySource(ctx, tx, name, source)
		if err != nil {
			return err
		}
		holder, holderSource, err := feedHoldingName(ctx, tx, name)
		if err != nil {
			return err
		}
		switch {
		case id != 0 && holder == id:
			// The feed as it was.
		case id != 0:
			if holder != 0 {
				if err := retireFeed(ctx, tx, holder, name); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE feeds SET name = ? WHERE id = ?`, name, id); err != nil {
				return fmt.Errorf("rename feed %d: %w", id, err)
			}
		case holder != 0 && holderSource == "":
			id = holder
			if _, err := tx.ExecContext(ctx, `UPDATE feeds SET source = ? WHERE id = ?`, source, id); err != nil {
				return fmt.Errorf("record the source of feed %d: %w", id, err)
			}
		default:
			if holder != 0 {
				if err := retireFeed(ctx, tx, holder, name); err != nil {
					return err
				}
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO feeds (name, source) VALUES (?, ?) RETURNING id`, name, source).Scan(&id); err != nil {
				return fmt.Errorf("add feed: %w", err)
			}
		}
		f, err = scanFeed(tx.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return Feed{}, fmt.Errorf("store: ensure feed %s: %w", name, err)
	}
	return f, nil
}

// feedIDBySource returns the row of a source (see EnsureFeed for which one when
// several hold it), or 0.
func feedIDBySource(ctx context.Context, tx *sql.Tx, name, source string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM feeds WHERE source = ? ORDER BY name = ? DESC, id LIMIT 1`, source, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// feedHoldingName returns the row called name and its source, or 0.
func feedHoldingName(ctx context.Context, tx *sql.Tx, name string) (int64, string, error) {
	var id int64
	var source string
	err := tx.QueryRowContext(ctx, `SELECT id, source FROM feeds WHERE name = ?`, name).Scan(&id, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, source, err
}

// retireFeed frees a name for another feed: the row keeps everything but its
// name, which becomes name~id (unique, since ids are).
func retireFeed(ctx context.Context, tx *sql.Tx, id int64, name string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE feeds SET name = ? WHERE id = ?`, fmt.Sprintf("%s~%d", name, id), id); err != nil {
		return fmt.Errorf("retire feed %d (%s): %w", id, name, err)
	}
	return nil
}

// FeedByName returns the feed called name, or ErrNotFound.
func (d *DB) FeedByName(ctx context.Context, name string) (Feed, error) {
	f, err := scanFeed(d.db.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Feed{}, fmt.Errorf("store: feed %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Feed{}, fmt.Errorf("store: feed %s: %w", name, err)
	}
	return f, nil
}

// Feeds returns every feed, by id.
func (d *DB) Feeds(ctx context.Context) ([]Feed, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: feeds: %w", err)
	}
	defer rows.Close()
	var out []Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("store: feeds: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feeds: %w", err)
	}
	return out, nil
}

// SaveFeedState stores the fetch state of a feed (URL, validators, schedule,
// failures). Polls is not written here: RecordPoll counts polls.
func (d *DB) SaveFeedState(ctx context.Context, f Feed) error {
	_, err := d.db.ExecContext(ctx, `UPDATE feeds SET url = ?, title = ?, etag = ?, last_modified = ?, next_poll_at = ?, last_polled_at = ?, failures = ?, failing_since = ?, last_error = ? WHERE id = ?`,
		f.URL, f.Title, f.ETag, f.LastModified, unix(f.NextPollAt), unix(f.LastPolledAt), f.Failures, unix(f.FailingSince), f.LastError, f.ID)
	if err != nil {
		return fmt.Errorf("store: save feed %s: %w", f.Name, err)
	}
	return nil
}

// FeedTitle returns the feed's title as its last poll gave it, else its name.
func (d *DB) FeedTitle(ctx context.Context, feedID int64) (string, error) {
	var title, name string
	err := d.db.QueryRowContext(ctx, `SELECT title, name FROM feeds WHERE id = ?`, feedID).Scan(&title, &name)
	if err != nil {
		return "", fmt.Errorf("store: feed %d: %w", feedID, err)
	}
	if title == "" {
		return name, nil
	}
	return title, nil
}
