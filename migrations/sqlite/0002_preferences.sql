-- Per-user preferences, by lower-cased login name.
CREATE TABLE IF NOT EXISTS preferences (
    username TEXT PRIMARY KEY NOT NULL,
    language TEXT,
    shortcuts INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
