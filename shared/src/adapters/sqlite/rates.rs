//! `RateStore` on SQLite: one row per (key, window), incremented with an upsert; expired rows are
//! deleted a few at a time by the writes themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, to_millis};
use crate::ports::{RateStore, StoreResult};

#[async_trait]
impl RateStore for Sqlite {
    async fn add(
        &self,
        key: &str,
        window: i64,
        amount: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        let (key, expires) = (key.to_owned(), to_millis(expires_at));
        let now = to_millis(Utc::now());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM rate_counters WHERE rowid IN \
                 (SELECT rowid FROM rate_counters WHERE expires_at < ?1 LIMIT 16)",
                params![now],
            )?;
            let count: i64 = tx.query_row(
                "INSERT INTO rate_counters (key, window, hits, expires_at) VALUES (?1, ?2, ?4, ?3) \
                 ON CONFLICT (key, window) DO UPDATE SET hits = hits + excluded.hits, \
                 expires_at = max(expires_at, excluded.expires_at) RETURNING hits",
                params![key, window, expires, amount],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    async fn total(&self, key: &str, window: i64) -> StoreResult<u64> {
        let key = key.to_owned();
        self.read(move |conn| {
            let count: Option<i64> = conn
                .query_row(
                    "SELECT hits FROM rate_counters WHERE key = ?1 AND window = ?2",
                    params![key, window],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
        })
        .await
    }
}
