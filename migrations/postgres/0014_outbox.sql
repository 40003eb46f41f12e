-- Work Facteur does later, on whichever instance is alive: a message to send once the undo
-- wait is over. A worker on each instance claims due jobs for a lease; a job whose instance
-- died is claimed again once its lease has run out.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    -- 'send'.
    kind TEXT NOT NULL,
    -- 'waiting' until it is due and claimed; 'sending' from just before the SMTP transaction;
    -- 'accepted' once the SMTP server took the message; 'keeping' when it refused it and the
    -- message could not be saved in Drafts yet; then 'sent' or 'failed' (kept a day for the
    -- page that asked, without its content).
    state TEXT NOT NULL,
    due_ms BIGINT NOT NULL,
    -- Who holds it and until when (Unix milliseconds); 0 when nobody does.
    lease_ms BIGINT NOT NULL DEFAULT 0,
    holder TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0,
    -- What to do (JSON) and the message, each sealed under the server key; the mail password,
    -- sealed too. All three are removed when the job ends.
    meta BYTEA,
    message BYTEA,
    secret BYTEA,
    -- Why it failed, in the server's words.
    reason TEXT NOT NULL DEFAULT '',
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (due_ms) WHERE state IN ('waiting', 'sending', 'accepted', 'keeping');
CREATE INDEX outbox_by_user ON outbox (username, created_ms);

-- How long a sent message waits in the outbox, when Undo can take it back.
ALTER TABLE preferences ADD COLUMN undo_send_seconds BIGINT NOT NULL DEFAULT 10;
