-- Per-user preferences, by lower-cased login name.
CREATE TABLE preferences (
    username TEXT PRIMARY KEY NOT NULL,
    language TEXT,
    -- 0 or 1 (integers on both databases, so that queries are written once).
    shortcuts BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
