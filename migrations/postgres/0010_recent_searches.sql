-- A user's last searches, suggested as they type and listed on an empty search page.
CREATE TABLE recent_searches (
    username TEXT NOT NULL,
    query TEXT NOT NULL,
    -- Unix time in milliseconds of the last time it was searched.
    used_ms BIGINT NOT NULL,
    PRIMARY KEY (username, query)
);
