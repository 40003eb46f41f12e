-- Attachments of messages being written, when they are kept in the database (PostgreSQL
-- deployments; SQLite ones keep them on disk, but the tables exist on both for the same code).
CREATE TABLE upload_files (
    -- A hash of the user (as for the directories on disk).
    owner TEXT NOT NULL,
    draft TEXT NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    -- 0 while the file arrives, 1 once whole.
    complete INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (owner, draft, id)
);
CREATE INDEX upload_files_by_time ON upload_files (updated_at);

CREATE TABLE upload_chunks (
    owner TEXT NOT NULL,
    draft TEXT NOT NULL,
    id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (owner, draft, id, seq)
);
