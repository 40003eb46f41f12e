-- New-mail notifications (Web Push). The VAPID key pair push services know Facteur by: one
-- row, made on first use, its secret sealed under the server key.
CREATE TABLE push_key (
    id BIGINT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_ms BIGINT NOT NULL
);

-- The devices where a user turned notifications on: the push service's endpoint and the
-- keys the browser gave for it (RFC 8291).
CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    p256dh BLOB NOT NULL,
    auth BLOB NOT NULL,
    -- 1: sender and subject; 0: "New mail" alone.
    preview BIGINT NOT NULL DEFAULT 1,
    created_ms BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (username);
