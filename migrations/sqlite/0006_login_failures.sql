-- Failed logins in a row, per client address ("ip:…") and per account ("account:…").
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    -- Unix time in milliseconds of the last failure.
    last_ms INTEGER NOT NULL
);
CREATE INDEX login_failures_by_time ON login_failures (last_ms);
