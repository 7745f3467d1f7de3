-- Feeds we follow, with what we remember between polls.
CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    source         TEXT    NOT NULL DEFAULT '',
    url            TEXT    NOT NULL DEFAULT '',
    title          TEXT    NOT NULL DEFAULT '',
    etag           TEXT    NOT NULL DEFAULT '',
    last_modified  TEXT    NOT NULL DEFAULT '',
    next_poll_at   INTEGER NOT NULL DEFAULT 0,
    last_polled_at INTEGER NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    failing_since  INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    polls          INTEGER NOT NULL DEFAULT 0
);

-- Every episode ever seen; never deleted when it drops out of the feed.
CREATE TABLE episodes (
    id         INTEGER PRIMARY KEY,
    feed_id    INTEGER NOT NULL REFERENCES feeds(id),
    guid       TEXT    NOT NULL,
    number     INTEGER NOT NULL DEFAULT 0,
    published  INTEGER NOT NULL DEFAULT 0,
    title      TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL,
    hash       TEXT    NOT NULL DEFAULT '',
    first_seen INTEGER NOT NULL,
    UNIQUE (feed_id, guid)
);
CREATE INDEX episodes_feed_published ON episodes (feed_id, published DESC, id DESC);
CREATE INDEX episodes_feed_number ON episodes (feed_id, number);

-- Identity keys (GUID, enclosure, number, title+day): any match is the same episode.
CREATE TABLE episode_aliases (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id),
    alias      TEXT    NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    PRIMARY KEY (feed_id, alias)
);

-- A channel on a platform that receives a feed's announcements and digest.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id),
    language        TEXT    NOT NULL DEFAULT 'en',
    digest_schedule TEXT    NOT NULL DEFAULT '',
    digest_tz       TEXT    NOT NULL DEFAULT '',
    topics          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    UNIQUE (platform, channel, feed_id)
);

-- The outbox: one row per message to post, unique per (subscription, what it is about).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
    kind            TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL,
    episode_ids     TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    message_id      TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (subscription_id, dedupe_key)
);
CREATE INDEX deliveries_due ON deliveries (status, due_at, id);

-- Digests posted or enqueued, one per subscription and period.
CREATE TABLE digests (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
    period          TEXT    NOT NULL,
    delivery_id     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period)
);
