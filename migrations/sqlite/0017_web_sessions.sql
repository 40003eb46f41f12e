-- The web sessions of each user, for the list of where they are signed in (Settings →
-- Security) and to end one of them from another device: a session whose row is gone is over
-- at its next request, on any instance.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    -- The browser's User-Agent (cut to 300 characters) and the address it signed in from.
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    -- Updated at most once a minute.
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (username);
