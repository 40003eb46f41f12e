-- Imports into a folder: how far each has got, for its page (which any instance may serve),
-- and its report once it ended.
CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    -- The uploaded file's size, and how much of it has been read.
    bytes BIGINT NOT NULL,
    read_bytes BIGINT NOT NULL,
    -- What it did so far (messages imported, duplicates, skipped, why it stopped), as JSON.
    report TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    -- When it ended (Unix milliseconds); NULL while it runs.
    finished_ms BIGINT
);
CREATE INDEX imports_by_user ON imports (username, created_ms);
