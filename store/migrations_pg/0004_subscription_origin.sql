-- Who manages a subscription: the configuration ('config'), or a chat command
-- ('command'). A configuration applied at start switches off the subscriptions it
-- used to declare and no longer does, and leaves alone what channels chose.
ALTER TABLE subscriptions ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
