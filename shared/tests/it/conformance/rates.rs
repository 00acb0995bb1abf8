//! `RateStore` contract: counters start at zero, count each hit once (also under concurrency), are
//! separate per key and per window, and reads count nothing.

use std::sync::Arc;

use imagegram::ports::RateStore;

use super::unique;

fn later() -> chrono::DateTime<chrono::Utc> {
    imagegram::domain::now() + chrono::Duration::seconds(120)
}

pub async fn counts_per_key_and_window(store: &dyn RateStore) {
    let key = unique("login:alice");
    assert_eq!(store.total(&key, 7).await.unwrap(), 0, "no counter yet");
    for want in 1..=3 {
        assert_eq!(store.add(&key, 7, 1, later()).await.unwrap(), want);
    }
    assert_eq!(store.total(&key, 7).await.unwrap(), 3);
    assert_eq!(
        store.total(&key, 7).await.unwrap(),
        3,
        "reading counts nothing"
    );
    assert_eq!(
        store.total(&key, 8).await.unwrap(),
        0,
        "the next window starts at 0"
    );
    assert_eq!(store.add(&key, 8, 1, later()).await.unwrap(), 1);
    let other = unique("login:bob");
    assert_eq!(
        store.total(&other, 7).await.unwrap(),
        0,
        "keys are separate"
    );
    assert_eq!(store.add(&other, 7, 1, later()).await.unwrap(), 1);
    assert_eq!(store.total(&key, 7).await.unwrap(), 3);
    // Amounts other than one (bytes per day).
    let bytes = unique("upload_bytes:dave");
    assert_eq!(
        store.add(&bytes, 3, 104_857_600, later()).await.unwrap(),
        104_857_600
    );
    assert_eq!(store.add(&bytes, 3, 5, later()).await.unwrap(), 104_857_605);
    assert_eq!(store.total(&bytes, 3).await.unwrap(), 104_857_605);
}

/// 50 concurrent hits of one counter are 50, and each caller saw a different count.
pub async fn concurrent_hits_are_each_counted_once(store: Arc<dyn RateStore>) {
    let key = unique("comments:carol");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move { store.add(&key, 1, 1, later()).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=50).collect::<Vec<u64>>());
    assert_eq!(store.total(&key, 1).await.unwrap(), 50);
}
