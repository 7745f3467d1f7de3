-- PostgreSQL's twin of migrations/0009_growth_indexes.sql.
--
-- Indexes for a store that has grown (issue 10: 100,000 episodes, 1,000,000
-- deliveries; BENCHMARKS.md has the plans and figures), each for a statement
-- that read rows in proportion to the history rather than to its answer.
--
-- ArchivePicks reads a channel's "from the archive" digests of the last weeks:
-- without it, it read every delivery the channel ever had, one per episode.
CREATE INDEX deliveries_subscription_kind ON deliveries (subscription_id, kind, created_at);
-- EpisodeByNumber wants the newest episode with a number: with (feed_id, number)
-- alone, SQLite walked the feed's episodes by date instead (to spare a sort),
-- reading every row; and EpisodesByNumberPrefix reads only numbers and dates,
-- which this index holds, so it reads no row. It serves what
-- episodes_feed_number served (a feed's episodes, their count), and replaces it.
CREATE INDEX episodes_feed_number_published ON episodes (feed_id, number, published DESC, id DESC);
DROP INDEX episodes_feed_number;
-- A poll reads its feed's active subscriptions (twice): the one index of
-- subscriptions starts with the platform and channel, so each read them all.
CREATE INDEX subscriptions_feed ON subscriptions (feed_id);
