-- Attachments of messages being written, kept here so that every instance sees them (SQLite
-- deployments keep them on disk).
CREATE TABLE upload_files (
    -- A hash of the user (as for the directories on disk).
    owner TEXT NOT NULL,
    draft TEXT NOT NULL,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- 0 while the file arrives, 1 once whole.
    complete BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (owner, draft, id)
);
CREATE INDEX upload_files_by_time ON upload_files (updated_at);

CREATE TABLE upload_chunks (
    owner TEXT NOT NULL,
    draft TEXT NOT NULL,
    id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (owner, draft, id, seq)
);
