-- Imagegram embedded metadata store, schema version 4, for a fresh file. An older file is
-- upgraded by migrations/v*.sql to the same tables, columns and indexes (the tests check they agree).
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    tier          TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Whether a tier is in use, asked by every tier delete.
CREATE INDEX IF NOT EXISTS users_by_tier ON users (tier);

CREATE TABLE IF NOT EXISTS tiers (
    name              TEXT PRIMARY KEY,
    thumbnail_heights TEXT NOT NULL,
    original_link     INTEGER NOT NULL,
    expiring_links    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS uploads (
    id            TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    multipart_id  TEXT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    part_size     INTEGER NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- An owner's uploads newest first, all or of one status: one index range scan per page.
CREATE INDEX IF NOT EXISTS uploads_by_owner ON uploads (owner, id);
CREATE INDEX IF NOT EXISTS uploads_by_owner_status ON uploads (owner, status, id);

CREATE TABLE IF NOT EXISTS images (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    status          TEXT NOT NULL,
    failure_code    TEXT,
    failure_message TEXT,
    width           INTEGER,
    height          INTEGER,
    created_at      INTEGER NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    -- fold_title(title): what title search matches against (SQLite's lower() folds ASCII only).
    title_fold      TEXT NOT NULL DEFAULT '',
    listed          INTEGER NOT NULL DEFAULT 0,
    fit_width       INTEGER,
    fit_height      INTEGER,
    -- JSON array of rendition names (`feed`, `fit:800x600`, `h:200`).
    renditions      TEXT NOT NULL DEFAULT '[]',
    alt_text        TEXT NOT NULL DEFAULT '',
    -- The placeholder (base64 ThumbHash, #rrggbb), once processed.
    thumbhash       TEXT,
    color           TEXT
) WITHOUT ROWID;

-- An owner's library, newest first: one index range scan per page; title search filters on the
-- folded title in the index and reads only the matching rows from the table.
CREATE INDEX IF NOT EXISTS images_by_owner ON images (owner, id, title_fold) WHERE listed = 1;

CREATE TABLE IF NOT EXISTS posts (
    id              TEXT PRIMARY KEY,
    author          TEXT NOT NULL,
    caption         TEXT NOT NULL,
    image_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    failure_code    TEXT,
    failure_message TEXT,
    comment_count   INTEGER NOT NULL DEFAULT 0,
    recent_comments TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    alt_text        TEXT NOT NULL DEFAULT '',
    -- The image's placeholder, copied when the image is finished.
    thumbhash       TEXT,
    color           TEXT
) WITHOUT ROWID;

-- The feed: one index range scan per page, only ready posts are indexed.
CREATE INDEX IF NOT EXISTS posts_by_comments ON posts (comment_count, id) WHERE status = 'ready';
CREATE INDEX IF NOT EXISTS posts_by_new ON posts (id) WHERE status = 'ready';
CREATE INDEX IF NOT EXISTS posts_by_author_comments ON posts (author, comment_count, id) WHERE status = 'ready';
CREATE INDEX IF NOT EXISTS posts_by_author_new ON posts (author, id) WHERE status = 'ready';
CREATE INDEX IF NOT EXISTS posts_by_image ON posts (image_id);

CREATE TABLE IF NOT EXISTS comments (
    post_id    TEXT NOT NULL,
    id         TEXT NOT NULL,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, id)
) WITHOUT ROWID;

-- Requests made with an Idempotency-Key: one row per (user, key), for 24 hours.
CREATE TABLE IF NOT EXISTS idempotency (
    username     TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    seed         TEXT NOT NULL,
    -- NULL while in flight; the stored answer's status once done.
    status       INTEGER,
    content_type TEXT,
    body         BLOB,
    lease_until  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (username, key)
) WITHOUT ROWID;

-- Rate counters: one row per (key, fixed window); expired rows are deleted by later writes.
CREATE TABLE IF NOT EXISTS rate_counters (
    key        TEXT NOT NULL,
    window     INTEGER NOT NULL,
    hits       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, window)
);
CREATE INDEX IF NOT EXISTS rate_counters_by_expiry ON rate_counters (expires_at);
