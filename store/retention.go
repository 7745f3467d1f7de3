package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Retention of the outbox. Sent deliveries would pile up forever (one per
// episode and channel, every week, for years), and every statement that reads
// the outbox whole (Health) or a channel's history (ArchivePicks) pays for
// them. Once posted, most of a delivery is history nobody reads, and none of it
// is what keeps "nothing twice":
//
//   - an episode is announced once because its row, with its identity keys,
//     is never deleted: a poll that lists it again matches it (PlanPoll) and
//     enqueues nothing, whatever became of its deliveries;
//   - a backlog summary is made only of pending deliveries, which are kept;
//   - a digest is enqueued once per (subscription, period) because of its row
//     in digests, which is kept.
//
// The outbox's unique (subscription, dedupe key) is a second lock on the same
// door: the keys of new announcements name episode ids never used before. So
// pruning a sent delivery frees a key nothing can enqueue again.
//
// What is kept, and why:
//
//   - every delivery not sent: pending ones (claimed, in doubt or waiting) are
//     work to do; dead and expired ones are what status reports (Health counts
//     them, and shows the last reason a delivery was given up); merged ones
//     are few (one per delivery replaced by a summary after an outage);
//   - sent "from the archive" digests: ArchivePicks reads them so that the
//     archive does not pick the same episode again for weeks; one per channel
//     and week at most, in weeks without a new episode;
//   - the delivery with the highest id, whatever it is: SQLite gives a new row
//     the highest id plus one, so deleting the newest row would hand its id to
//     the next delivery, and a delivery's id is its key on the platforms
//     (bot.DeliveryKey): a new delivery posted after a crash would find the
//     old post under that key and be taken as posted. PostgreSQL never reuses
//     an identity, but the rule is the same for both engines.

// pruneBatch is how many deliveries PruneDeliveries reads, and at most deletes,
// per statement: each DELETE is a transaction of its own that holds SQLite's
// write lock (PostgreSQL's row locks) for tens of milliseconds (about 60 ms on
// SQLite with 1,000,000 deliveries, BENCHMARKS.md), so polls and claims running
// meanwhile wait for one batch at most, never for the whole prune.
const pruneBatch = 1000

// PruneDeliveries deletes the deliveries sent before `before` (for a retention
// of 30 days, before is now minus 30 days) and returns how many it deleted. It
// keeps what exactly-once delivery and the status command need: every delivery
// not sent (pending, in doubt, dead, expired, merged), sent "from the archive"
// digests (ArchivePicks reads them), and the newest delivery (its id must not
// be handed out again). Nothing a poll, a backlog settle or a digest reads to
// decide what to enqueue is deleted, so nothing is enqueued again.
//
// It deletes in batches, each its own short transaction, and may be called
// while the bot runs, by every replica at once: what one deletes the others
// skip. When ctx ends it stops between batches, returning what it deleted and
// ctx's error.
func (d *DB) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	n, err := d.pruneDeliveries(ctx, before, pruneBatch)
	if err != nil {
		return n, fmt.Errorf("store: prune sent deliveries: %w", err)
	}
	return n, nil
}

// pruneDeliveries is PruneDeliveries with the batch size given.
//
// It walks the sent deliveries due before `before` in the order of the
// deliveries_due index (status, due_at, id), batch by batch from where the
// previous batch ended: restarting from the first sent row would read again,
// batch after batch, every row kept (and, on PostgreSQL, every dead row a
// vacuum has not removed yet). Each batch reads the keys of its window, then
// deletes in that window what the rule allows, the rule whole in the DELETE,
// which the index bounds to the window: a DELETE by a list of ids would be
// planned by SQLite on the index's status = 'sent' (all of history) rather than
// on the ids. A delivery is sent after it is due, so one sent before `before`
// was due before it too; one whose clocks say otherwise (a replica's clock
// behind) is kept, which is safe.
func (d *DB) pruneDeliveries(ctx context.Context, before time.Time, batch int) (int64, error) {
	cut := before.Unix()
	var newest int64
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM deliveries`).Scan(&newest); err != nil {
		return 0, err
	}
	var pruned int64
	fromDue, fromID := int64(math.MinInt64), int64(0) // the window starts after this key
	for {
		if err := ctx.Err(); err != nil {
			return pruned, err
		}
		rows, err := d.db.QueryContext(ctx, `SELECT due_at, id FROM deliveries
			WHERE status = 'sent' AND due_at < ? AND (due_at, id) > (?, ?) ORDER BY due_at, id LIMIT ?`,
			cut, fromDue, fromID, batch)
		if err != nil {
			return pruned, err
		}
		read := 0
		toDue, toID := fromDue, fromID
		for rows.Next() {
			if err := rows.Scan(&toDue, &toID); err != nil {
				rows.Close()
				return pruned, err
			}
			read++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return pruned, err
		}
		if read == 0 {
			return pruned, nil
		}
		// Bounded by the window's keys alone, so that the index range ends at
		// its last key (given due_at < cut too, SQLite may end it at the cut).
		// The newest delivery is spared with <>, not with id < newest: a range
		// on id would lead PostgreSQL's generic plan (a prepared statement run
		// a few times) to walk the primary key, all of history, every batch. A
		// row newer than it was not sent before the cut.
		r, err := d.db.ExecContext(ctx, `DELETE FROM deliveries
			WHERE status = 'sent' AND (due_at, id) > (?, ?) AND (due_at, id) <= (?, ?)
				AND sent_at < ? AND kind <> ? AND id <> ?`,
			fromDue, fromID, toDue, toID, cut, KindDigestArchive, newest)
		if err != nil {
			return pruned, err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return pruned, err
		}
		pruned += n
		if read < batch {
			return pruned, nil
		}
		fromDue, fromID = toDue, toID
	}
}
