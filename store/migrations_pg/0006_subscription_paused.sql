-- Why a subscription was paused by the bot itself (its channel is gone, archived,
-- or the app lost access), shown in status; '' when it was not. A paused
-- subscription is inactive until the channel subscribes again.
ALTER TABLE subscriptions ADD COLUMN paused TEXT NOT NULL DEFAULT '';
