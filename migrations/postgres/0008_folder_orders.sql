-- The order a user chose for a folder's list (absent: newest first).
CREATE TABLE folder_orders (
    username TEXT NOT NULL,
    -- The folder's full name in UTF-8.
    folder TEXT NOT NULL,
    -- date, arrival, from, subject or size.
    sort_key TEXT NOT NULL,
    descending INTEGER NOT NULL,
    PRIMARY KEY (username, folder)
);
