-- Web sessions, in the layout of tower-sessions' PostgreSQL store (table public.tower_sessions).
-- Data is MessagePack written by tower-sessions; the user's IMAP password inside it is sealed
-- with a key that is not stored here.
CREATE TABLE IF NOT EXISTS tower_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS tower_sessions_expiry ON tower_sessions (expiry_date);
