-- Appearance: the theme (system, light, dark), the density of lists (comfortable, compact)
-- and the number of messages a page lists.
ALTER TABLE preferences ADD COLUMN theme TEXT NOT NULL DEFAULT 'system';
ALTER TABLE preferences ADD COLUMN density TEXT NOT NULL DEFAULT 'comfortable';
ALTER TABLE preferences ADD COLUMN per_page INTEGER NOT NULL DEFAULT 50;
