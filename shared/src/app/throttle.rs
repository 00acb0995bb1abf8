//! In-process sliding-window rate limits (per instance: on Lambda each execution environment counts alone).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    fn prune(&self, q: &mut VecDeque<Instant>, now: Instant) {
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
    }

    /// `Err(seconds to wait)` when `key` already used its allowance in the window.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let Some(q) = hits.get_mut(key) else {
            return Ok(());
        };
        self.prune(q, now);
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let q = hits.entry(key.to_owned()).or_default();
        self.prune(q, now);
        q.push_back(now);
    }

    /// `check` then `record` in one step.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        self.check(key)?;
        self.record(key);
        Ok(())
    }

    pub fn forget(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
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
    fn refuses_after_the_limit_and_forgets() {
        let t = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(t.hit("a").is_ok());
        }
        let wait = t.hit("a").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.hit("b").is_ok());
        t.forget("a");
        assert!(t.hit("a").is_ok());
    }
}
