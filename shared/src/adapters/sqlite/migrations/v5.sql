-- Schema version 4 → 5: rate counters (login failures, comments per minute) in the database, so
-- they hold across restarts and processes.
CREATE TABLE rate_counters (
    key        TEXT NOT NULL,
    window     INTEGER NOT NULL,
    hits       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, window)
);
CREATE INDEX rate_counters_by_expiry ON rate_counters (expires_at);
