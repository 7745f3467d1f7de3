-- What a list of episodes shows (search results), apart from each episode's
-- whole data (issue 11): the list fields as columns beside guid, number,
-- published and title, and the notes as plain text, for snippets. A search
-- reads these for the few results it shows; decoding each result's whole data
-- was most of a query's time, and even a small JSON card cost 6 µs a result.
-- card_filled is 0 for rows written before this, until fillCards fills them
-- when the database opens; a read falls back to data meanwhile.
ALTER TABLE episodes ADD COLUMN season INTEGER NOT NULL DEFAULT 0;
ALTER TABLE episodes ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN duration INTEGER NOT NULL DEFAULT 0;
ALTER TABLE episodes ADD COLUMN link TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN audio_url TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN notes_text TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN card_filled INTEGER NOT NULL DEFAULT 0;
-- The rows fillCards has left to fill (none once it has run, but the damaged):
-- finding them reads no episode.
CREATE INDEX episodes_card_missing ON episodes (id) WHERE card_filled = 0;
