//! `IdempotencyStore` contract: one claim wins, records are per user, stale claims are taken
//! over with their seed, answers are stored once, records expire.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use imagegram::domain::{Id, Username};
use imagegram::ports::{
    Claim, ClaimRequest, IdempotencyState, IdempotencyStore, StoreError, StoredAnswer,
};

use super::{name, unique};

const LEASE: Duration = Duration::from_secs(60);
const TTL: Duration = Duration::from_secs(24 * 3600);

fn request<'a>(
    user: &'a Username,
    key: &'a str,
    fingerprint: &'a str,
    seed: Id,
    now: DateTime<Utc>,
) -> ClaimRequest<'a> {
    ClaimRequest {
        user,
        key,
        fingerprint,
        seed,
        now,
        lease: LEASE,
        ttl: TTL,
    }
}

fn answer(status: u16, body: &str) -> StoredAnswer {
    StoredAnswer {
        status,
        content_type: "application/json".into(),
        body: body.as_bytes().to_vec(),
    }
}

fn existing(claim: Claim) -> imagegram::ports::IdempotencyRecord {
    match claim {
        Claim::Existing(record) => record,
        other => panic!("expected a record, got {other:?}"),
    }
}

pub async fn claim_finish_replay_and_expiry(store: &dyn IdempotencyStore) {
    let alice = name(&unique("idem"));
    let bob = name(&unique("idem"));
    let now = imagegram::domain::now();
    let (s1, s2) = (Id::generate(), Id::generate());

    assert_eq!(
        store
            .claim(&request(&alice, "k1", "fp", s1, now))
            .await
            .unwrap(),
        Claim::Claimed { seed: s1 }
    );
    // While it runs: the record, in flight, with its lease.
    let running = existing(
        store
            .claim(&request(&alice, "k1", "fp", s2, now))
            .await
            .unwrap(),
    );
    assert_eq!((running.fingerprint.as_str(), running.seed), ("fp", s1));
    assert!(
        matches!(running.state, IdempotencyState::InFlight { lease_until } if lease_until > now)
    );
    // Another body sees the same record (the caller tells it apart by the fingerprint).
    let other = existing(
        store
            .claim(&request(&alice, "k1", "other", s2, now))
            .await
            .unwrap(),
    );
    assert_eq!(other.fingerprint, "fp");
    // Keys are per user.
    assert_eq!(
        store
            .claim(&request(&bob, "k1", "fp", s2, now))
            .await
            .unwrap(),
        Claim::Claimed { seed: s2 }
    );

    // Finishing stores the answer once, for the claim that holds the record only.
    assert!(matches!(
        store.finish(&alice, "k1", s2, &answer(201, "{}")).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .finish(&alice, "k1", s1, &answer(201, r#"{"id":"x"}"#))
        .await
        .unwrap();
    assert!(matches!(
        store.finish(&alice, "k1", s1, &answer(500, "again")).await,
        Err(StoreError::Conflict(_))
    ));
    let done = existing(
        store
            .claim(&request(&alice, "k1", "fp", s2, now))
            .await
            .unwrap(),
    );
    assert_eq!(
        done.state,
        IdempotencyState::Done(answer(201, r#"{"id":"x"}"#))
    );
    // A done record is not released, and is never taken over, even after its lease.
    store.release(&alice, "k1", s1).await.unwrap();
    let later = now + chrono::Duration::minutes(5);
    let still = existing(
        store
            .claim(&request(&alice, "k1", "fp", s2, later))
            .await
            .unwrap(),
    );
    assert!(matches!(still.state, IdempotencyState::Done(_)));

    // After 24 hours the key is new again.
    let tomorrow = now + chrono::Duration::hours(24) + chrono::Duration::seconds(1);
    let s3 = Id::generate();
    assert_eq!(
        store
            .claim(&request(&alice, "k1", "new", s3, tomorrow))
            .await
            .unwrap(),
        Claim::Claimed { seed: s3 }
    );
}

pub async fn stale_claims_are_taken_over_with_their_seed(store: &dyn IdempotencyStore) {
    let alice = name(&unique("idem"));
    let now = imagegram::domain::now();
    let (first, second) = (Id::generate(), Id::generate());
    store
        .claim(&request(&alice, "crash", "fp", first, now))
        .await
        .unwrap();
    let after_lease = now + chrono::Duration::seconds(61);
    // Another request may not take it over, the same one may, and keeps the first seed.
    assert!(matches!(
        store
            .claim(&request(&alice, "crash", "other", second, after_lease))
            .await
            .unwrap(),
        Claim::Existing(_)
    ));
    assert_eq!(
        store
            .claim(&request(&alice, "crash", "fp", second, after_lease))
            .await
            .unwrap(),
        Claim::Claimed { seed: first }
    );
    // Taken over, it is in flight again with a new lease.
    let running = existing(
        store
            .claim(&request(&alice, "crash", "fp", second, after_lease))
            .await
            .unwrap(),
    );
    assert!(
        matches!(running.state, IdempotencyState::InFlight { lease_until } if lease_until > after_lease)
    );

    // A released claim is gone: the next claim is fresh.
    store.release(&alice, "crash", first).await.unwrap();
    assert_eq!(
        store
            .claim(&request(&alice, "crash", "fp", second, after_lease))
            .await
            .unwrap(),
        Claim::Claimed { seed: second }
    );
}

/// Of 100 concurrent claims of one key, exactly one wins.
pub async fn one_of_many_concurrent_claims_wins(store: Arc<dyn IdempotencyStore>) {
    let alice = name(&unique("idem"));
    let now = imagegram::domain::now();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (store, alice) = (store.clone(), alice.clone());
        tasks.push(tokio::spawn(async move {
            let seed = Id::generate();
            let claim = store
                .claim(&request(&alice, "race", "fp", seed, now))
                .await
                .unwrap();
            matches!(claim, Claim::Claimed { .. })
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}
