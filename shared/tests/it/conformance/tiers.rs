//! `TierStore` contract (with `UserStore`, whose users keep a tier in use).

use std::sync::Arc;

use imagegram::domain::{Role, Tier, User};
use imagegram::ports::{NO_SUCH_TIER, StoreError, TIER_IN_USE, TierStore, UserStore};

use super::{Accounts, name, unique};

fn tier(name: &str, heights: &[u32]) -> Tier {
    Tier::new(name, heights.to_vec(), false, false).unwrap()
}

fn user_on(username: &str, tier: &str) -> User {
    User {
        username: name(username),
        password_hash: "$argon2id$x".into(),
        tier: tier.into(),
        role: Role::User,
        created_at: imagegram::domain::now(),
    }
}

pub async fn create_get_update_delete(store: &dyn Accounts) {
    let gold = Tier::new(&unique("Gold"), vec![400, 200], true, false).unwrap();
    store.create_tier(&gold).await.unwrap();
    assert_eq!(
        store.get_tier(&gold.name).await.unwrap(),
        Some(gold.clone())
    );

    // A taken name is AlreadyExists and changes nothing.
    let other = Tier {
        expiring_links: true,
        ..gold.clone()
    };
    assert!(matches!(
        store.create_tier(&other).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.get_tier(&gold.name).await.unwrap(),
        Some(gold.clone())
    );

    // Names are case-sensitive: the lower-case spelling is a tier of its own.
    let lower = tier(&gold.name.to_lowercase(), &[100]);
    assert!(store.get_tier(&lower.name).await.unwrap().is_none());
    store.create_tier(&lower).await.unwrap();
    assert_eq!(
        store.get_tier(&lower.name).await.unwrap(),
        Some(lower.clone())
    );
    assert_eq!(
        store.get_tier(&gold.name).await.unwrap(),
        Some(gold.clone())
    );

    let changed = Tier::new(&gold.name, vec![300], false, true).unwrap();
    store.update_tier(&changed).await.unwrap();
    assert_eq!(store.get_tier(&gold.name).await.unwrap(), Some(changed));
    assert_eq!(
        store.get_tier(&lower.name).await.unwrap(),
        Some(lower.clone())
    );
    let ghost = tier(&unique("Ghost"), &[200]);
    assert!(matches!(
        store.update_tier(&ghost).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.get_tier(&ghost.name).await.unwrap().is_none());

    store.delete_tier(&lower.name).await.unwrap();
    assert!(store.get_tier(&lower.name).await.unwrap().is_none());
    assert!(store.get_tier(&gold.name).await.unwrap().is_some());
    assert!(matches!(
        store.delete_tier(&lower.name).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_tier(&ghost.name).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_tier_in_use_is_not_deleted(store: &dyn Accounts) {
    let (gold, silver) = (
        tier(&unique("Gold"), &[200]),
        tier(&unique("Silver"), &[200]),
    );
    store.create_tier(&gold).await.unwrap();
    store.create_tier(&silver).await.unwrap();
    let username = unique("dave");
    store
        .create_user(&user_on(&username, &gold.name))
        .await
        .unwrap();

    // While a user is on it, deleting is a conflict and the tier stays.
    assert!(matches!(
        store.delete_tier(&gold.name).await,
        Err(StoreError::Conflict(TIER_IN_USE))
    ));
    assert_eq!(
        store.get_tier(&gold.name).await.unwrap(),
        Some(gold.clone())
    );

    // Once the user moved on, it can go; the tier the user is on now cannot.
    let moved = User {
        tier: silver.name.clone(),
        ..store.get_user(&username).await.unwrap().unwrap()
    };
    store.update_user(&moved).await.unwrap();
    store.delete_tier(&gold.name).await.unwrap();
    assert!(store.get_tier(&gold.name).await.unwrap().is_none());
    assert!(matches!(
        store.delete_tier(&silver.name).await,
        Err(StoreError::Conflict(TIER_IN_USE))
    ));

    // A deleted tier takes no new users.
    let back = User {
        tier: gold.name.clone(),
        ..moved
    };
    assert!(matches!(
        store.update_user(&back).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
    assert_eq!(
        store.get_user(&username).await.unwrap().unwrap().tier,
        silver.name
    );
}

/// Every tier name, in the store's order, across pages of at most `limit`.
pub async fn all_tiers(store: &dyn TierStore, limit: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let page = store.list_tiers(limit, after.as_deref()).await.unwrap();
        assert!(
            page.items.len() <= limit as usize,
            "a page holds at most limit tiers"
        );
        names.extend(page.items.into_iter().map(|t| t.name));
        match page.next {
            Some(next) => after = Some(next),
            None => return names,
        }
    }
    panic!("list_tiers did not reach the end in 1000 pages");
}

pub async fn list_tiers_in_byte_order_across_pages(store: &dyn Accounts) {
    // Byte order puts every upper-case letter before every lower-case one, and a name before
    // its extensions; created out of order.
    let suffix = unique("");
    let mut mine: Vec<String> = ["b", "A", "a", "Z", "B", "a-", "a_", "a0"]
        .iter()
        .map(|start| format!("{start}{suffix}"))
        .collect();
    for n in &mine {
        store.create_tier(&tier(n, &[200])).await.unwrap();
    }
    mine.sort();
    assert_eq!(&mine[..2], [format!("A{suffix}"), format!("B{suffix}")]);

    for limit in [1, 3, 100] {
        let all = all_tiers(store, limit).await;
        assert!(
            all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()),
            "byte order, each tier once (limit {limit}): {all:?}"
        );
        let listed: Vec<_> = all.into_iter().filter(|n| n.ends_with(&suffix)).collect();
        assert_eq!(listed, mine, "limit {limit}");
    }
    let full = store.list_tiers(100, None).await.unwrap();
    let gold = full.items.iter().find(|t| t.name == mine[0]).unwrap();
    assert_eq!(gold, &tier(&mine[0], &[200]), "pages hold whole tiers");
}

/// Users moving on and off a tier while a third party keeps trying to delete it: the delete
/// succeeds only when no user is on the tier, and afterwards nobody can move onto it. One race
/// catches a delete that checks for users in one step and deletes in another only sometimes, so
/// this runs `races` of them, each with a fresh tier.
pub async fn deleting_a_tier_races_users_moving<S>(store: Arc<S>, users: usize, races: usize)
where
    S: UserStore + TierStore + 'static,
{
    let safe = tier(&unique("Safe"), &[200]);
    store.create_tier(&safe).await.unwrap();
    let names: Vec<String> = (0..users).map(|_| unique("mover")).collect();
    for n in &names {
        store.create_user(&user_on(n, &safe.name)).await.unwrap();
    }
    for _ in 0..races {
        race(store.clone(), &names, &safe.name).await;
    }
    for n in &names {
        let user = store.get_user(n).await.unwrap().unwrap();
        assert_eq!(user.tier, safe.name);
    }
    assert!(matches!(
        store.delete_tier(&safe.name).await,
        Err(StoreError::Conflict(TIER_IN_USE))
    ));
}

/// Moves per user and race; the race ends sooner if the tier goes.
const MOVES: usize = 50;
const PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

async fn race<S>(store: Arc<S>, names: &[String], safe: &str)
where
    S: UserStore + TierStore + 'static,
{
    let doomed = tier(&unique("Doomed"), &[200]).name;
    store.create_tier(&tier(&doomed, &[200])).await.unwrap();
    // Everyone starts on the doomed tier, so the first delete is refused.
    for n in names {
        let user = store.get_user(n).await.unwrap().unwrap();
        store
            .update_user(&User {
                tier: doomed.clone(),
                ..user
            })
            .await
            .unwrap();
    }
    assert!(matches!(
        store.delete_tier(&doomed).await,
        Err(StoreError::Conflict(TIER_IN_USE))
    ));

    let mut movers = Vec::new();
    for n in names {
        let (store, n, doomed, safe) = (store.clone(), n.clone(), doomed.clone(), safe.to_owned());
        movers.push(tokio::spawn(async move {
            let mut user = store.get_user(&n).await.unwrap().unwrap();
            for _ in 0..MOVES {
                user.tier = safe.clone();
                store.update_user(&user).await.unwrap();
                // Time on the safe tier, when the doomed one may be free.
                tokio::time::sleep(PAUSE).await;
                user.tier = doomed.clone();
                match store.update_user(&user).await {
                    Ok(()) => {}
                    // The doomed tier may vanish, but only while nobody is on it.
                    Err(StoreError::Conflict(NO_SUCH_TIER)) => return,
                    Err(e) => panic!("moving {n} to {doomed}: {e}"),
                }
                // Only this task moves this user, so the user is on the doomed tier until the
                // next move: the tier must exist all that time.
                tokio::time::sleep(PAUSE).await;
                assert!(
                    store.get_tier(&doomed).await.unwrap().is_some(),
                    "{n} is on {doomed}, which was deleted"
                );
            }
            user.tier = safe;
            store.update_user(&user).await.unwrap();
        }));
    }
    let deleter = {
        let (store, doomed) = (store.clone(), doomed.clone());
        tokio::spawn(async move {
            loop {
                match store.delete_tier(&doomed).await {
                    Ok(()) => return,
                    Err(StoreError::Conflict(TIER_IN_USE)) => tokio::task::yield_now().await,
                    Err(e) => panic!("deleting {doomed}: {e}"),
                }
            }
        })
    };
    for m in movers {
        m.await.unwrap();
    }
    // Every mover ends on the safe tier, so the deleter's retries end too.
    tokio::time::timeout(std::time::Duration::from_secs(60), deleter)
        .await
        .expect("the delete succeeds once nobody is on the tier")
        .unwrap();
    assert!(store.get_tier(&doomed).await.unwrap().is_none());
}
