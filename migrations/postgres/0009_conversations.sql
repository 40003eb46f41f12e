-- Folder lists by conversation (on by default).
ALTER TABLE preferences ADD COLUMN conversations INTEGER NOT NULL DEFAULT 1;
