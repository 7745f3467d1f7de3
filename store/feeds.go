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
	// Source is how the feed is configured (a URL, "title|author", an Apple page);
	// when it changes, the resolved URL is forgotten.
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
}

const feedColumns = `id, name, source, url, title, etag, last_modified, next_poll_at, last_polled_at, failures, failing_since, last_error, polls`

func scanFeed(row interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var next, polled, failing int64
	err := row.Scan(&f.ID, &f.Name, &f.Source, &f.URL, &f.Title, &f.ETag, &f.LastModified, &next, &polled, &f.Failures, &failing, &f.LastError, &f.Polls)
	f.NextPollAt, f.LastPolledAt, f.FailingSince = fromUnix(next), fromUnix(polled), fromUnix(failing)
	return f, err
}

// EnsureFeed returns the feed called name, creating it when new. A changed source
// (the admin edited the config) clears the resolved URL and validators so the new
// source is used, while the feed keeps its episodes.
func (d *DB) EnsureFeed(ctx context.Context, name, source string) (Feed, error) {
	var f Feed
	err := d.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feeds (name, source) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, source)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE feeds SET source = ?, url = '', etag = '', last_modified = '', next_poll_at = 0, failures = 0, failing_since = 0, last_error = '' WHERE name = ? AND source <> ?`, source, name, source)
		if err != nil {
			return err
		}
		f, err = scanFeed(tx.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds WHERE name = ?`, name))
		return err
	})
	if err != nil {
		return Feed{}, fmt.Errorf("store: ensure feed %s: %w", name, err)
	}
	return f, nil
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
