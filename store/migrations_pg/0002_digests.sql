-- The scheduled time of each digest's period, so the next digest knows where the
-- last one ended ("episodes since the previous digest") without parsing the key.
ALTER TABLE digests ADD COLUMN period_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX digests_latest ON digests (subscription_id, period_at);
