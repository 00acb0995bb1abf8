//! `UserStore` contract (with `TierStore` for the tiers users are on).

use imagegram::domain::{Role, Tier, User, builtin_tier};
use imagegram::ports::{NO_SUCH_TIER, StoreError};

use super::{Accounts, ensure_tier, name, unique};

fn user(username: &str, tier: &str) -> User {
    User {
        username: name(username),
        password_hash: "$argon2id$x".into(),
        tier: tier.into(),
        role: Role::User,
        created_at: imagegram::domain::now(),
    }
}

pub async fn create_get_update(store: &dyn Accounts) {
    for tier in ["Basic", "Premium"] {
        ensure_tier(store, &builtin_tier(tier).unwrap()).await;
    }
    let user = user("alice", "Basic");
    store.create_user(&user).await.unwrap();
    // A taken username is AlreadyExists and changes nothing.
    let other = User {
        password_hash: "other".into(),
        ..user.clone()
    };
    assert!(matches!(
        store.create_user(&other).await,
        Err(StoreError::AlreadyExists)
    ));
    let got = store.get_user("alice").await.unwrap().unwrap();
    assert_eq!(got.password_hash, "$argon2id$x");
    assert_eq!(got.role, Role::User);
    assert_eq!(got.created_at, user.created_at);
    assert!(store.get_user("bob").await.unwrap().is_none());

    let promoted = User {
        tier: "Premium".into(),
        role: Role::Admin,
        ..got
    };
    store.update_user(&promoted).await.unwrap();
    let got = store.get_user("alice").await.unwrap().unwrap();
    assert_eq!((got.tier.as_str(), got.role), ("Premium", Role::Admin));
    let ghost = User {
        username: name("ghost"),
        ..promoted
    };
    assert!(matches!(
        store.update_user(&ghost).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_user_needs_an_existing_tier(store: &dyn Accounts) {
    let tier = Tier::new(&unique("Silver"), vec![200], false, false).unwrap();
    let missing = unique("Missing");
    store.create_tier(&tier).await.unwrap();

    // Creating a user on a tier that does not exist writes nothing.
    let username = unique("carol");
    assert!(matches!(
        store.create_user(&user(&username, &missing)).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
    assert!(store.get_user(&username).await.unwrap().is_none());
    assert!(store.get_tier(&missing).await.unwrap().is_none());

    // Nor does moving one onto it: tier, role and password hash all stay as they were.
    store
        .create_user(&user(&username, &tier.name))
        .await
        .unwrap();
    let moved = User {
        tier: missing.clone(),
        role: Role::Admin,
        password_hash: "changed".into(),
        ..user(&username, &tier.name)
    };
    assert!(matches!(
        store.update_user(&moved).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
    let got = store.get_user(&username).await.unwrap().unwrap();
    assert_eq!(
        (got.tier.as_str(), got.role, got.password_hash.as_str()),
        (tier.name.as_str(), Role::User, "$argon2id$x")
    );
    assert!(store.get_tier(&missing).await.unwrap().is_none());

    // Tier names are case-sensitive: the upper-case spelling is another, missing tier.
    let shouted = User {
        tier: tier.name.to_uppercase(),
        ..got
    };
    assert!(matches!(
        store.update_user(&shouted).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
}

/// Every user, by username ascending, across pages of at most `limit`.
pub async fn all_users(store: &dyn Accounts, limit: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let page = store.list_users(limit, after.as_deref()).await.unwrap();
        assert!(
            page.items.len() <= limit as usize,
            "a page holds at most limit users"
        );
        names.extend(
            page.items
                .into_iter()
                .map(|u| u.username.as_str().to_owned()),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => return names,
        }
    }
    panic!("list_users did not reach the end in 1000 pages");
}

pub async fn list_users_in_order_across_pages(store: &dyn Accounts) {
    let tier = builtin_tier("Basic").unwrap();
    ensure_tier(store, &tier).await;
    // Created out of order; usernames share a prefix so they sort by their distinct endings.
    let prefix = unique("u");
    let mut mine: Vec<String> = ["m", "b", "z", "a", "k", "c0", "c"]
        .iter()
        .map(|end| format!("{prefix}_{end}"))
        .collect();
    for username in &mine {
        store
            .create_user(&user(username, &tier.name))
            .await
            .unwrap();
    }
    mine.sort();

    for limit in [1, 2, 3, 100] {
        let all = all_users(store, limit).await;
        assert!(
            all.windows(2).all(|w| w[0] < w[1]),
            "ascending, each user once (limit {limit}): {all:?}"
        );
        let listed: Vec<_> = all.into_iter().filter(|n| n.starts_with(&prefix)).collect();
        assert_eq!(listed, mine, "limit {limit}");
    }
    let first = store.list_users(2, None).await.unwrap();
    assert!(first.next.is_some(), "more users than one page holds");
}
