-- "Email me when someone signs in from a new browser" (off unless the user turns it on), and
-- the browsers each user has signed in from: a hash of the random id in a long-lived cookie.
CREATE TABLE sign_in_notices (
    username TEXT PRIMARY KEY,
    enabled BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE known_browsers (
    username TEXT NOT NULL,
    browser TEXT NOT NULL,
    seen_ms BIGINT NOT NULL,
    PRIMARY KEY (username, browser)
);
