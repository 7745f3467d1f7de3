-- The search index as `run` last saved it (issue 11), so that a one-shot
-- `search` reads it instead of building it from every episode: a header (the
-- documents, words and stems) and each list of postings in a row of its own,
-- read as a query needs it. gen ties the lists to their header: a save writes
-- a new generation and drops the old one in one transaction, and a reader that
-- raced it finds its lists gone rather than another index's. version says, for
-- each feed, how many polls that changed episodes the index holds (feeds.changes,
-- counted by ApplyPoll; polls alone move at every poll); a one-shot whose store
-- has moved on since builds the index as before. It is a cache: Copy leaves it
-- behind.
ALTER TABLE feeds ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
CREATE TABLE search_index (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    gen      INTEGER NOT NULL,
    version  TEXT    NOT NULL,
    header   BLOB    NOT NULL,
    saved_at INTEGER NOT NULL
);
CREATE TABLE search_postings (
    gen  INTEGER NOT NULL,
    stem INTEGER NOT NULL,
    term INTEGER NOT NULL,
    data BLOB    NOT NULL,
    PRIMARY KEY (gen, stem, term)
);
