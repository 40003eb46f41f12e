-- "Sign out everywhere": web sessions of a user that began before this moment are over.
CREATE TABLE session_epochs (
    username TEXT PRIMARY KEY,
    -- Unix time in milliseconds.
    not_before BIGINT NOT NULL
);
