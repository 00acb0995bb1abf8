//! Rate limits counted in the metadata store ([`RateStore`]: a SQLite table, DynamoDB items with a
//! TTL), so they hold across restarts, processes and Lambda execution environments: a fixed
//! window per key, counted with one atomic increment.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{AppError, AppResult};
use crate::ports::RateStore;

/// `limit` events per `window` for each key, under the counter name `name`.
#[derive(Debug)]
pub struct Throttle {
    name: &'static str,
    limit: usize,
    window: Duration,
}

/// The window `now` falls in, and the seconds until it ends (at least 1).
pub(crate) fn window_of(window: Duration, now: DateTime<Utc>) -> (i64, u64) {
    let length = i64::try_from(window.as_secs().max(1)).unwrap_or(i64::MAX);
    let secs = now.timestamp();
    let index = secs.div_euclid(length);
    let left = (index + 1) * length - secs;
    (index, u64::try_from(left).unwrap_or(1).max(1))
}

impl Throttle {
    pub fn new(name: &'static str, limit: usize, window: Duration) -> Self {
        Self {
            name,
            limit,
            window,
        }
    }

    fn counter(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    fn too_many(&self, count: u64, retry_after: u64) -> AppResult<()> {
        if count > self.limit as u64 {
            return Err(AppError::Throttled { retry_after });
        }
        Ok(())
    }

    /// A 429 when `key` already used its allowance in this window (counts nothing).
    pub async fn check(&self, store: &dyn RateStore, key: &str) -> AppResult<()> {
        let (window, left) = window_of(self.window, Utc::now());
        let count = store.total(&self.counter(key), window).await?;
        self.too_many(count + 1, left)
    }

    /// Counts one event for `key`.
    pub async fn record(&self, store: &dyn RateStore, key: &str) -> AppResult<()> {
        self.count(store, key).await.map(|_| ())
    }

    /// Counts one event and refuses it (429) when it is over the allowance.
    pub async fn hit(&self, store: &dyn RateStore, key: &str) -> AppResult<()> {
        let (count, left) = self.count(store, key).await?;
        self.too_many(count, left)
    }

    async fn count(&self, store: &dyn RateStore, key: &str) -> AppResult<(u64, u64)> {
        let now = Utc::now();
        let (window, left) = window_of(self.window, now);
        // Kept one window longer than it counts, then the store may drop it.
        let expires = now
            + chrono::Duration::seconds(i64::try_from(left).unwrap_or(0))
            + chrono::Duration::from_std(self.window).unwrap_or_default();
        let count = store.add(&self.counter(key), window, 1, expires).await?;
        Ok((count, left))
    }
}

/// Addresses that have logged in to an account, remembered for 30 days (bounded in size).
#[derive(Debug, Default)]
pub struct TrustedClients {
    seen: Mutex<HashMap<(String, std::net::IpAddr), Instant>>,
}

const TRUST_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

impl TrustedClients {
    pub fn contains(&self, account: &str, ip: std::net::IpAddr) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&(account.to_owned(), ip))
            .is_some_and(|t| t.elapsed() < TRUST_FOR)
    }

    pub fn insert(&self, account: &str, ip: std::net::IpAddr) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= 100_000 {
            seen.retain(|_, t| t.elapsed() < TRUST_FOR);
            if seen.len() >= 100_000 {
                seen.clear();
            }
        }
        seen.insert((account.to_owned(), ip), Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_say_how_long_is_left() {
        let w = Duration::from_secs(60);
        let t = DateTime::from_timestamp(1_700_000_030, 0).unwrap();
        let (index, left) = window_of(w, t);
        assert_eq!(index, 1_700_000_030 / 60);
        assert_eq!(left, 60 - (1_700_000_030 % 60) as u64);
        let next = DateTime::from_timestamp(1_700_000_030 + left as i64, 0).unwrap();
        assert_eq!(window_of(w, next).0, index + 1);
        assert_eq!(window_of(w, next).1, 60);
    }
}
