-- Version 1 of the schema, frozen: what a version 1 data dir holds (the migration tests build one).
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    tier          TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
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

CREATE TABLE IF NOT EXISTS images (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    status          TEXT NOT NULL,
    failure_code    TEXT,
    failure_message TEXT,
    width           INTEGER,
    height          INTEGER,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;

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
    created_at      INTEGER NOT NULL
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
