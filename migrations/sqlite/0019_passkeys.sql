-- Passkeys and security keys for the second step, several per user, each with the name the
-- user gave it. `credential` is the key as the WebAuthn library keeps it (JSON: the public
-- key, its algorithm and its signature counter).
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_used_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_by_user ON passkeys (username);
