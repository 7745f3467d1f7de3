-- The token of the claim a dispatcher holds on a delivery (ClaimDue sets a fresh
-- one with the lease): MarkSent, MarkRetry and MarkDead record an outcome only
-- with the token, so a dispatcher whose lease ran out and whose delivery another
-- one claimed cannot overwrite that one's outcome. Recording an outcome clears
-- it; a token left on a pending delivery is a claim whose attempt never reported
-- (the process died mid-post), so the next claim puts the delivery in doubt.
-- Deliveries claimed before this column are in doubt already (in_doubt = 1).
ALTER TABLE deliveries ADD COLUMN claim_token TEXT NOT NULL DEFAULT '';
