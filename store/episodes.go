package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pmbot/pmbot/feeds"
)

// Episode is a stored episode.
type Episode struct {
	ID     int64
	FeedID int64
	feeds.Episode
}

// PollResult says what one recorded poll changed.
type PollResult struct {
	// New lists the episodes seen for the first time, in feed order.
	New []Episode
	// Updated lists the known episodes whose content or GUID changed.
	Updated []Episode
	// Announced counts the episodes announced (in one summary when Summary is true).
	Announced int
	Summary   bool
	// Reason says why new episodes were not announced ("first poll", "host
	// migration"), or "".
	Reason string
	// Deliveries counts the deliveries enqueued.
	Deliveries int
}

// PollState reads what a poll of a feed is planned on (see PlanPoll): its poll
// count, its episodes and their identity keys, and its active subscriptions. A
// damaged row has an empty hash, so the next poll listing it rewrites it.
func (d *DB) PollState(ctx context.Context, feedID int64) (PollState, error) {
	// No transaction: ApplyPoll finds out whether any of it changed since.
	st := PollState{FeedID: feedID}
	err := d.db.QueryRowContext(ctx, `SELECT polls FROM feeds WHERE id = ?`, feedID).Scan(&st.Polls)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err == nil {
		st.Episodes, err = d.loadKnown(ctx, d.db, feedID)
	}
	if err == nil {
		st.Aliases, err = loadAliases(ctx, d.db, feedID)
	}
	if err == nil {
		st.Subscriptions, err = activeSubscriptions(ctx, d.db, feedID)
	}
	if err != nil {
		return PollState{}, fmt.Errorf("store: read feed %d for a poll: %w", feedID, err)
	}
	return st, nil
}

// ApplyPoll applies a poll's plan in one transaction: it inserts the new
// episodes and rewrites the changed ones with their identity keys, enqueues the
// announcements, and counts the poll. It returns ErrConflict, having written
// nothing, when a poll was recorded since the plan's state was read, or when the
// plan announces something and the feed's subscriptions changed since.
func (d *DB) ApplyPoll(ctx context.Context, plan PollPlan) (PollResult, error) {
	res := PollResult{Announced: plan.Announced, Summary: plan.Summary, Reason: plan.Reason}
	now := d.now().Unix()
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res.New, res.Updated, res.Deliveries = nil, nil, 0
		// First, so that it also takes the feed's row for the transaction.
		r, err := tx.ExecContext(ctx, `UPDATE feeds SET polls = polls + 1 WHERE id = ? AND polls = ?`, plan.FeedID, plan.BasePolls)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrConflict)
		}
		if len(plan.Announcements) > 0 {
			subs, err := activeSubscriptions(ctx, tx, plan.FeedID)
			if err != nil {
				return err
			}
			if !SameAudience(subs, plan.BaseSubscriptions) {
				return ErrConflict
			}
		}
		ids := make([]int64, len(plan.New))
		for i, e := range plan.New {
			data, err := json.Marshal(e.Episode)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO episodes (feed_id, guid, number, published, title, data, hash, first_seen, `+cardFields+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, `+cardValues+`) RETURNING id`,
				append([]any{plan.FeedID, e.Episode.GUID, e.Episode.Number, unix(e.Episode.Published), e.Episode.Title, string(data), e.Hash, now}, cardArgs(e.Episode)...)...).Scan(&ids[i])
			if err != nil {
				return fmt.Errorf("insert episode %q: %w", e.Episode.GUID, err)
			}
			for _, k := range e.Aliases {
				if err := addAlias(ctx, tx, plan.FeedID, ids[i], k); err != nil {
					return err
				}
			}
			res.New = append(res.New, Episode{ID: ids[i], FeedID: plan.FeedID, Episode: e.Episode})
		}
		for _, e := range plan.Updated {
			data, err := json.Marshal(e.Episode)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE episodes SET guid = ?, number = ?, published = ?, title = ?, data = ?, hash = ?, `+cardSet+` WHERE id = ? AND feed_id = ?`,
				append(append([]any{e.Episode.GUID, e.Episode.Number, unix(e.Episode.Published), e.Episode.Title, string(data), e.Hash}, cardArgs(e.Episode)...), e.ID, plan.FeedID)...); err != nil {
				return fmt.Errorf("update episode %q: %w", e.Episode.GUID, err)
			}
			res.Updated = append(res.Updated, Episode{ID: e.ID, FeedID: plan.FeedID, Episode: e.Episode})
		}
		if len(res.New)+len(res.Updated) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE feeds SET changes = changes + 1 WHERE id = ?`, plan.FeedID); err != nil {
				return err
			}
		}
		for _, a := range plan.Aliases {
			if err := addAlias(ctx, tx, plan.FeedID, a.EpisodeID, a.Key); err != nil {
				return err
			}
		}
		for _, a := range plan.Announcements {
			eps := make([]int64, len(a.New))
			for i, n := range a.New {
				eps[i] = ids[n]
			}
			key := AnnouncementKey(a.Kind, eps)
			r, err := tx.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				a.SubscriptionID, a.Kind, key, joinIDs(eps), now, now)
			if err != nil {
				return fmt.Errorf("enqueue %s: %w", key, err)
			}
			n, _ := r.RowsAffected()
			res.Deliveries += int(n)
		}
		return nil
	})
	if err != nil {
		return PollResult{}, fmt.Errorf("store: record poll of feed %d: %w", plan.FeedID, err)
	}
	for _, e := range res.Updated {
		d.repaired(e.ID) // rewritten and committed: sound again
	}
	return res, nil
}

// loadKnown returns the GUID and content hash of every episode of a feed. A
// damaged row gets an empty hash, so that a poll still listing the episode
// rewrites it (repairs it) rather than skipping it as unchanged.
func (d *DB) loadKnown(ctx context.Context, q querier, feedID int64) (map[int64]KnownEpisode, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, guid, `+d.sql.hashUnlessDamaged+` FROM episodes WHERE feed_id = ?`, feedID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]KnownEpisode)
	for rows.Next() {
		var id int64
		var k KnownEpisode
		if err := rows.Scan(&id, &k.GUID, &k.Hash); err != nil {
			return nil, err
		}
		if d.isDamaged(id) {
			k.Hash = ""
		}
		out[id] = k
	}
	return out, rows.Err()
}

func loadAliases(ctx context.Context, q querier, feedID int64) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT alias, episode_id FROM episode_aliases WHERE feed_id = ?`, feedID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int64)
	for rows.Next() {
		var a string
		var id int64
		if err := rows.Scan(&a, &id); err != nil {
			return nil, err
		}
		out[a] = id
	}
	return out, rows.Err()
}

// addAlias records an identity key of an episode; a key another episode holds
// already keeps naming it.
func addAlias(ctx context.Context, tx *sql.Tx, feedID, id int64, key string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO episode_aliases (feed_id, alias, episode_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, feedID, key, id); err != nil {
		return fmt.Errorf("add alias: %w", err)
	}
	return nil
}

const episodeColumns = `id, feed_id, data`

// queryEpisodes runs an episode query and returns up to limit episodes (all when
// limit is 0). A row whose data does not decode (a damaged database, a hand
// edit) is left out and noted, not an error: one bad row must not stop every
// command. Queries that want n episodes pass n as limit rather than LIMIT n in
// SQL, so a damaged row does not leave the answer short. damaged lists the ids
// left out.
func (d *DB) queryEpisodes(ctx context.Context, limit int, query string, args ...any) (out []Episode, damaged []int64, err error) {
	damaged, err = d.eachEpisode(ctx, query, args, func(e Episode) (bool, error) {
		out = append(out, e)
		return limit == 0 || len(out) < limit, nil
	})
	return out, damaged, err
}

// eachEpisode runs an episode query and calls fn with each episode as its row
// is read and decoded, until fn says no more or fails; damaged rows are left
// out, noted, and listed.
func (d *DB) eachEpisode(ctx context.Context, query string, args []any, fn func(Episode) (more bool, err error)) (damaged []int64, err error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Episode
		var data string
		if err := rows.Scan(&e.ID, &e.FeedID, &data); err != nil {
			return nil, err
		}
		if !d.decode(&e, data) {
			damaged = append(damaged, e.ID)
			continue
		}
		more, err := fn(e)
		if err != nil {
			return damaged, err
		}
		if !more {
			break
		}
	}
	return damaged, rows.Err()
}

// decode sets e's episode from its row's data, and says whether it decoded;
// a row that does not is noted damaged.
func (d *DB) decode(e *Episode, data string) bool {
	e.Episode = feeds.Episode{}
	if err := json.Unmarshal([]byte(data), &e.Episode); err != nil {
		d.noteDamaged(e.ID, e.FeedID, err)
		return false
	}
	return true
}

// noteDamaged remembers a row whose data does not decode and logs it the first
// time.
func (d *DB) noteDamaged(id, feedID int64, err error) {
	d.mu.Lock()
	seen := d.damaged[id]
	d.damaged[id] = true
	d.mu.Unlock()
	if !seen {
		d.logger.Warn("a damaged episode row is left out of answers; the next poll rewrites it if the feed still lists the episode",
			"episode_id", id, "feed_id", feedID, "database", d.file, "err", err)
	}
}

// isDamaged says whether a row was found damaged since Open.
func (d *DB) isDamaged(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.damaged[id]
}

// repaired forgets a damaged row once a poll rewrote it, so it is logged again
// if it is damaged again.
func (d *DB) repaired(id int64) {
	d.mu.Lock()
	delete(d.damaged, id)
	d.mu.Unlock()
}

// DamagedEpisodes counts the episode rows whose data does not decode, which every
// query leaves out, for the status command. It reads every episode.
func (d *DB) DamagedEpisodes(ctx context.Context) (int, error) {
	_, damaged, err := d.queryEpisodes(ctx, 0, `SELECT `+episodeColumns+` FROM episodes ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("store: damaged episodes: %w", err)
	}
	return len(damaged), nil
}

// Latest returns the n most recently published episodes of a feed, newest first.
// Damaged rows are left out (see DamagedEpisodes).
func (d *DB) Latest(ctx context.Context, feedID int64, n int) ([]Episode, error) {
	if n == 0 {
		return nil, nil
	}
	// max: a negative n meant no limit when it was SQL's LIMIT.
	eps, _, err := d.queryEpisodes(ctx, max(n, 0), `SELECT `+episodeColumns+` FROM episodes WHERE feed_id = ? ORDER BY published DESC, id DESC`, feedID)
	if err != nil {
		return nil, fmt.Errorf("store: latest episodes: %w", err)
	}
	return eps, nil
}

// Episodes returns every episode of a feed, newest first. Damaged rows are left
// out (see DamagedEpisodes).
func (d *DB) Episodes(ctx context.Context, feedID int64) ([]Episode, error) {
	eps, _, err := d.queryEpisodes(ctx, 0, feedEpisodes, feedID)
	if err != nil {
		return nil, fmt.Errorf("store: episodes: %w", err)
	}
	return eps, nil
}

// feedEpisodes selects a feed's episodes, newest first.
const feedEpisodes = `SELECT ` + episodeColumns + ` FROM episodes WHERE feed_id = ? ORDER BY published DESC, id DESC`

// EachEpisode calls fn with every episode of a feed, newest first (as
// Episodes), as each is read and decoded, so that a caller's work on one
// overlaps the reading of the next (the search index's build, on another
// core). Damaged rows are left out. An error of fn stops it and is returned.
func (d *DB) EachEpisode(ctx context.Context, feedID int64, fn func(Episode) error) error {
	_, err := d.eachEpisode(ctx, feedEpisodes, []any{feedID}, func(e Episode) (bool, error) { return true, fn(e) })
	if err != nil {
		return fmt.Errorf("store: episodes: %w", err)
	}
	return nil
}

// EpisodeByNumber returns the full episode numbered n (the newest, if a feed reuses
// the number across seasons), or ErrNotFound. A damaged row is passed over for the
// next episode with that number, or ErrNotFound.
func (d *DB) EpisodeByNumber(ctx context.Context, feedID int64, n int) (Episode, error) {
	eps, _, err := d.queryEpisodes(ctx, 1, `SELECT `+episodeColumns+` FROM episodes WHERE feed_id = ? AND number = ? ORDER BY published DESC, id DESC`, feedID, n)
	if err != nil {
		return Episode{}, fmt.Errorf("store: episode %d: %w", n, err)
	}
	if len(eps) == 0 {
		return Episode{}, fmt.Errorf("store: episode %d: %w", n, ErrNotFound)
	}
	return eps[0], nil
}

// EpisodesByNumberPrefix returns up to limit episodes whose number starts with
// the digits given ("1" finds 1, 12 and 170), newest first: what autocomplete
// shows as a number is typed, without reading the whole feed.
func (d *DB) EpisodesByNumberPrefix(ctx context.Context, feedID int64, digits string, limit int) ([]Episode, error) {
	if digits == "" || strings.Trim(digits, "0123456789") != "" || limit <= 0 {
		return nil, nil
	}
	// The inner query reads numbers and dates only; whole rows are read for
	// the few returned.
	eps, _, err := d.queryEpisodes(ctx, limit, `SELECT `+episodeColumns+` FROM episodes WHERE id IN (
		SELECT id FROM episodes WHERE feed_id = ? AND number > 0 AND CAST(number AS TEXT) LIKE ? || '%'
		ORDER BY published DESC, id DESC LIMIT ?) ORDER BY published DESC, id DESC`, feedID, digits, limit)
	if err != nil {
		return nil, fmt.Errorf("store: episodes numbered %s…: %w", digits, err)
	}
	return eps, nil
}

// EpisodesByID returns the episodes with these ids, in the order given. An id
// whose row is damaged is left out, so the result can be shorter than ids (even
// empty): the others are still worth posting. An id with no row at all is
// ErrNotFound.
func (d *DB) EpisodesByID(ctx context.Context, ids []int64) ([]Episode, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	eps, damaged, err := d.queryEpisodes(ctx, 0, `SELECT `+episodeColumns+` FROM episodes WHERE id `+inList(len(ids)), int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: episodes by id: %w", err)
	}
	return inOrder(ids, eps, damaged)
}

// EpisodeCards is EpisodesByID for a list of search results: the episodes as
// a list item shows them, from their own columns: GUID, number, season, type,
// titles, date, duration, links, image, language, notes as text and the
// notes' Summary. The rest (the notes' HTML, what else was understood from
// them, chapters) is left empty. Decoding each result's whole data was most of
// a search's time.
func (d *DB) EpisodeCards(ctx context.Context, ids []int64) ([]Episode, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	// A row written before the columns existed, and not filled yet, reads its
	// data.
	query := `SELECT id, feed_id, guid, number, published, title, ` + cardFields + `, CASE WHEN card_filled = 0 THEN data ELSE '' END FROM episodes WHERE id ` + inList(len(ids))
	var rows *sql.Rows
	var err error
	if len(ids) <= maxPreparedIDs {
		var st *sql.Stmt
		if st, err = d.prepared(ctx, query); err == nil {
			rows, err = st.QueryContext(ctx, int64Args(ids)...)
		}
	} else {
		rows, err = d.db.QueryContext(ctx, query, int64Args(ids)...)
	}
	if err != nil {
		return nil, fmt.Errorf("store: episode cards: %w", err)
	}
	defer rows.Close()
	eps := make([]Episode, 0, len(ids))
	var damaged []int64
	for rows.Next() {
		eps = append(eps, Episode{})
		e := &eps[len(eps)-1]
		var published int64
		var filled int
		var data string
		ep := &e.Episode
		if err := rows.Scan(&e.ID, &e.FeedID, &ep.GUID, &ep.Number, &published, &ep.Title, &ep.Season, &ep.Type, &ep.DurationSeconds,
			&ep.Link, &ep.AudioURL, &ep.Image, &ep.Language, &ep.Notes.Summary, &ep.NotesText, &filled, &data); err != nil {
			return nil, fmt.Errorf("store: episode cards: %w", err)
		}
		ep.Published = fromUnix(published)
		if filled == 0 && !d.decode(e, data) {
			damaged = append(damaged, e.ID)
			eps = eps[:len(eps)-1]
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: episode cards: %w", err)
	}
	return inOrder(ids, eps, damaged)
}

// maxPreparedIDs bounds the lists of ids EpisodeCards keeps a statement for,
// one per length: a page of search results is far shorter.
const maxPreparedIDs = 50

// cardFields are the columns EpisodeCards reads besides guid, number,
// published and title; cardArgs gives their values for an episode, in order.
const (
	cardFields = `season, type, duration, link, audio_url, image, language, summary, notes_text, card_filled`
	cardValues = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	cardSet    = `season = ?, type = ?, duration = ?, link = ?, audio_url = ?, image = ?, language = ?, summary = ?, notes_text = ?, card_filled = ?`
)

func cardArgs(ep feeds.Episode) []any {
	return []any{ep.Season, ep.Type, ep.DurationSeconds, ep.Link, ep.AudioURL, ep.Image, ep.Language, ep.Notes.Summary, ep.NotesText, 1}
}

// inOrder returns eps in the order of ids, without the damaged; an id in
// neither is ErrNotFound.
func inOrder(ids []int64, eps []Episode, damaged []int64) ([]Episode, error) {
	at := make(map[int64]int, len(eps))
	for i, e := range eps {
		at[e.ID] = i
	}
	out := make([]Episode, 0, len(ids))
	for _, id := range ids {
		i, ok := at[id]
		switch {
		case ok:
			out = append(out, eps[i])
		case slices.Contains(damaged, id):
		default:
			return nil, fmt.Errorf("store: episode id %d: %w", id, ErrNotFound)
		}
	}
	return out, nil
}

// inList is "IN (?, …)" with n placeholders.
func inList(n int) string {
	return `IN (?` + strings.Repeat(",?", n-1) + `)`
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// fillCards fills the card columns (see EpisodeCards) of the rows written
// before they existed, a batch at a time, when the database opens. A row whose
// data does not decode stays unfilled, and damaged.
func (d *DB) fillCards(ctx context.Context) error {
	const batch = 500
	var after int64
	for {
		rows, err := d.db.QueryContext(ctx, `SELECT id, data FROM episodes WHERE card_filled = 0 AND id > ? ORDER BY id LIMIT ?`, after, batch)
		if err != nil {
			return fmt.Errorf("fill cards: %w", err)
		}
		type filled struct {
			id int64
			ep feeds.Episode
		}
		var todo []filled
		n := 0
		for rows.Next() {
			var f filled
			var data string
			if err := rows.Scan(&f.id, &data); err != nil {
				rows.Close()
				return fmt.Errorf("fill cards: %w", err)
			}
			n++
			after = f.id
			if json.Unmarshal([]byte(data), &f.ep) == nil {
				todo = append(todo, f)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("fill cards: %w", err)
		}
		err = d.tx(ctx, func(tx *sql.Tx) error {
			for _, f := range todo {
				// card_filled = 0: a poll may have rewritten the row meanwhile.
				if _, err := tx.ExecContext(ctx, `UPDATE episodes SET `+cardSet+` WHERE id = ? AND card_filled = 0`, append(cardArgs(f.ep), f.id)...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill cards: %w", err)
		}
		if n < batch {
			return nil
		}
	}
}

// CountEpisodes returns how many episodes a feed has.
func (d *DB) CountEpisodes(ctx context.Context, feedID int64) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM episodes WHERE feed_id = ?`, feedID).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: count episodes: %w", err)
	}
	return n, nil
}

// ContentHashes returns the content hash of every episode of a feed by GUID, so a
// poller can skip reading the notes of episodes that did not change. A damaged
// row has an empty hash: its notes are read again, and the poll rewrites it.
func (d *DB) ContentHashes(ctx context.Context, feedID int64) (map[string]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, guid, `+d.sql.hashUnlessDamaged+` FROM episodes WHERE feed_id = ?`, feedID)
	if err != nil {
		return nil, fmt.Errorf("store: content hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var id int64
		var guid, hash string
		if err := rows.Scan(&id, &guid, &hash); err != nil {
			return nil, fmt.Errorf("store: content hashes: %w", err)
		}
		if d.isDamaged(id) {
			hash = ""
		}
		out[guid] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: content hashes: %w", err)
	}
	return out, nil
}
