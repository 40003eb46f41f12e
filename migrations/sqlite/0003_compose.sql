-- Writing mail: the addresses a user sends as, the people they write to, and the keys that
-- make sending idempotent.

CREATE TABLE identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    -- Plain-text signature, added below new messages and above quoted text.
    signature TEXT NOT NULL DEFAULT '',
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identities_by_user ON identities (username);

CREATE TABLE contacts (
    username TEXT NOT NULL,
    -- Lower-case address.
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    uses INTEGER NOT NULL DEFAULT 0,
    last_used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (username, email)
);

CREATE TABLE send_keys (
    username TEXT NOT NULL,
    key TEXT NOT NULL,
    -- 'sending' while the SMTP transaction runs, then 'sent'.
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (username, key)
);
