use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::Result;

/// Longest wait a server's `Retry-After` may ask of us.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Exponential backoff with full jitter (the wait before retry `n` is uniform in
/// `0..=min(cap, base * 2^n)`), for at most `retries` retries, so a call gives up within a
/// bounded time: with the defaults, at most ~25 s of waiting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            retries: 6,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
        }
    }
}

impl Retry {
    /// The longest wait before retry `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before retry `attempt`: full jitter under [`Retry::ceiling`], or the server's
    /// `Retry-After` (bounded) when it said one.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(MAX_RETRY_AFTER);
        }
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=ceiling))
    }

    /// Runs `call` until it succeeds, fails for good, or the retries are spent.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            match call().await {
                Err(err) if err.is_transient() && attempt < self.retries => {
                    tokio::time::sleep(self.delay(attempt, err.retry_after())).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The seconds of a `Retry-After` header (the HTTP-date form is not used by our API).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let retry = Retry::default();
        assert_eq!(retry.ceiling(0), Duration::from_millis(250));
        assert_eq!(retry.ceiling(1), Duration::from_millis(500));
        assert_eq!(retry.ceiling(4), Duration::from_secs(4));
        assert_eq!(retry.ceiling(5), Duration::from_secs(8));
        assert_eq!(retry.ceiling(60), Duration::from_secs(8));
    }

    #[test]
    fn delays_are_jittered_below_the_ceiling_and_retry_after_wins() {
        let retry = Retry::default();
        let delays: Vec<_> = (0..200).map(|_| retry.delay(3, None)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        // Full jitter spreads the waits: not all the same, some in the lower half.
        assert!(delays.iter().any(|d| *d < Duration::from_secs(1)));
        assert!(delays.iter().any(|d| *d != delays[0]));
        let after = Some(Duration::from_secs(3));
        assert_eq!(retry.delay(0, after), Duration::from_secs(3));
        assert_eq!(
            retry.delay(0, Some(Duration::from_secs(3600))),
            MAX_RETRY_AFTER
        );
    }

    #[tokio::test]
    async fn transient_failures_are_retried_a_bounded_number_of_times() {
        let retry = Retry {
            retries: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        };
        let calls = AtomicU32::new(0);
        let result: Result<()> = retry
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::Network("reset".into()))
            })
            .await;
        assert!(matches!(result, Err(Error::Network(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let result: Result<()> = retry
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::Other("no".into()))
            })
            .await;
        assert!(result.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a final refusal is not retried"
        );
    }
}
