-- Schema version 1 → 2, in place: the image library (title, requested size, stored renditions)
-- and tiers. `schema.sql` is the same schema for a fresh file; the tests check they agree.
ALTER TABLE images ADD COLUMN title TEXT NOT NULL DEFAULT '';
-- fold_title(title): what title search matches against (SQLite's lower() folds ASCII only).
ALTER TABLE images ADD COLUMN title_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN fit_width INTEGER;
ALTER TABLE images ADD COLUMN fit_height INTEGER;
-- JSON array of rendition names (`feed`, `fit:800x600`, `h:200`).
ALTER TABLE images ADD COLUMN renditions TEXT NOT NULL DEFAULT '[]';

-- Version 1 made the feed rendition of every image that became ready, and nothing else.
UPDATE images SET renditions = '["feed"]' WHERE status = 'ready';
-- Posted images join their owners' libraries in Rust after this (see migrate.rs): a title's
-- folded form needs Unicode case folding, which SQLite's lower() does not do.

-- An owner's library, newest first: one index range scan per page.
CREATE INDEX images_by_owner ON images (owner, id) WHERE listed = 1;

CREATE TABLE tiers (
    name              TEXT PRIMARY KEY,
    thumbnail_heights TEXT NOT NULL,
    original_link     INTEGER NOT NULL,
    expiring_links    INTEGER NOT NULL
) WITHOUT ROWID;

-- Whether a tier is in use, asked by every tier delete.
CREATE INDEX users_by_tier ON users (tier);
