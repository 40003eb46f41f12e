-- "Archive to my computer": the messages chosen to be downloaded, and once their download
-- finished, the offer to delete exactly them (by UID) from the server.
CREATE TABLE archives (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    uidvalidity BIGINT NOT NULL,
    -- The UIDs, as an IMAP set (1:3,7).
    uids TEXT NOT NULL,
    messages BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    -- Messages older than this day (YYYY-MM-DD) were chosen.
    before_day TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    -- When the download finished (Unix milliseconds); NULL until then.
    downloaded_ms BIGINT
);
CREATE INDEX archives_by_user ON archives (username, created_ms);
