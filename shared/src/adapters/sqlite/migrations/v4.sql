-- Schema version 3 → 4: alternative text and placeholders on images and posts, and the owner
-- indexes that list a user's uploads, and the records of idempotent requests.
ALTER TABLE images ADD COLUMN alt_text TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN thumbhash TEXT;
ALTER TABLE images ADD COLUMN color TEXT;
ALTER TABLE posts ADD COLUMN alt_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN thumbhash TEXT;
ALTER TABLE posts ADD COLUMN color TEXT;
CREATE INDEX uploads_by_owner ON uploads (owner, id);
CREATE INDEX uploads_by_owner_status ON uploads (owner, status, id);
CREATE TABLE idempotency (
    username     TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    seed         TEXT NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BLOB,
    lease_until  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (username, key)
) WITHOUT ROWID;
