-- Two-step sign-in, per user, shared by all instances. An authenticator app's secret (TOTP,
-- RFC 6238) sealed under the server key; the last time step a code was accepted for, so that
-- a code cannot be used twice; a secret being set up until a code from it is confirmed.
CREATE TABLE second_factors (
    username TEXT PRIMARY KEY,
    totp_secret BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    pending_secret BYTEA,
    updated_ms BIGINT NOT NULL
);

-- Single-use recovery codes, kept as keyed hashes (HMAC under a key derived from the server
-- key): a copy of the database alone does not give them away.
CREATE TABLE recovery_codes (
    username TEXT NOT NULL,
    hash BYTEA NOT NULL,
    used_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (username, hash)
);
