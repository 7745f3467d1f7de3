package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SavedIndex is the search index as `run` last saved it: its generation, the
// polls it holds (bot.IndexRefresher's version) and its header (search.Snapshot).
type SavedIndex struct {
	Gen     int64
	Version string
	Header  []byte
}

// SearchIndex returns the saved search index, or ErrNotFound.
func (d *DB) SearchIndex(ctx context.Context) (SavedIndex, error) {
	var s SavedIndex
	err := d.db.QueryRowContext(ctx, `SELECT gen, version, header FROM search_index WHERE id = 1`).Scan(&s.Gen, &s.Version, &s.Header)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return SavedIndex{}, fmt.Errorf("store: search index: %w", ErrNotFound)
	case err != nil:
		return SavedIndex{}, fmt.Errorf("store: search index: %w", err)
	}
	return s, nil
}

// SearchPostings returns a list of postings of the saved index of generation
// gen, a stem's or a word's; ErrNotFound when that generation was replaced
// since (or the list is empty, which is not saved).
func (d *DB) SearchPostings(ctx context.Context, gen int64, stem bool, term uint32) ([]byte, error) {
	st, err := d.prepared(ctx, `SELECT data FROM search_postings WHERE gen = ? AND stem = ? AND term = ?`)
	if err != nil {
		return nil, fmt.Errorf("store: search postings: %w", err)
	}
	var data []byte
	err = st.QueryRowContext(ctx, gen, boolInt(stem), int64(term)).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: search postings of generation %d: %w", gen, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("store: search postings: %w", err)
	}
	return data, nil
}

// saveBatch is how many lists one INSERT writes: one statement per list made
// saving 10,000 episodes' index take seconds on PostgreSQL, and 400 left
// SQLite holding a megabyte more once the save was done.
const saveBatch = 50

// saveBatchBytes bounds the postings one INSERT writes: SQLite copies a
// statement's arguments into memory it keeps once the save is done.
const saveBatchBytes = 64 << 10

// SaveSearchIndex replaces the saved search index with a new generation, in
// one transaction: a header and its lists of postings, words' and stems'
// (search.Snapshot; empty lists are not saved). It returns the generation.
func (d *DB) SaveSearchIndex(ctx context.Context, version string, header []byte, words, stems [][]byte) (int64, error) {
	var gen int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(gen), 0) + 1 FROM search_index`).Scan(&gen); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_postings`); err != nil {
			return err
		}
		var args []any
		size := 0
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			n := len(args) / 4
			_, err := tx.ExecContext(ctx, `INSERT INTO search_postings (gen, stem, term, data) VALUES (?, ?, ?, ?)`+strings.Repeat(", (?, ?, ?, ?)", n-1), args...)
			args, size = args[:0], 0
			return err
		}
		for stem, lists := range [][][]byte{words, stems} {
			for term, data := range lists {
				if len(data) == 0 {
					continue
				}
				args = append(args, gen, stem, int64(term), data)
				if size += len(data); len(args) == 4*saveBatch || size >= saveBatchBytes {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO search_index (id, gen, version, header, saved_at) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, version = excluded.version, header = excluded.header, saved_at = excluded.saved_at`,
			gen, version, header, d.now().Unix())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: save search index: %w", err)
	}
	// Not an in-memory database: it lives as long as its one connection.
	if d.sql.renewAfterBulk && d.file != Memory {
		if conn, err := d.db.Conn(ctx); err == nil {
			discard(conn)
		}
	}
	return gen, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
