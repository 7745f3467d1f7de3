-- A feed is found by its source (its configured URL, Apple page or title and
-- author), not by its name: two podcasts given the same name never share episodes.
-- Not unique: older pmbots could leave two rows with one source (a renamed feed).
CREATE INDEX feeds_source ON feeds (source);
