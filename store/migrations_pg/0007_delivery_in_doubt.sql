-- Whether an attempt at a delivery may have posted it without that being
-- recorded (the process died mid-post): only then does the next attempt look for
-- the post on the platform before posting. A claim sets it; a failure that
-- certainly posted nothing (a rate limit, a wait) clears it. Deliveries pending
-- from before are taken as in doubt once tried.
ALTER TABLE deliveries ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET in_doubt = 1 WHERE status = 'pending' AND attempts > 0;
