-- A channel that unsubscribes keeps its history (sent deliveries point at the
-- subscription); the row is switched off instead of deleted.
ALTER TABLE subscriptions ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
